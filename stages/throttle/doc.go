// Package throttle is fpipe's rate limiter: a pass-through stage that holds
// a stream to a number of bytes per second, in either direction ([Writer]
// wraps the writer after it, [Reader] the reader before it).
//
// # The bucket
//
// Both directions draw on a token bucket that fills at the rate and holds
// one burst (by default a tenth of a second of the rate, at most 64 KiB, at
// least one byte). Every write or read is cut into pieces of at most half a
// burst, and each piece leaves only once the bucket holds it.
//
// The bucket starts empty when the first byte arrives: the first burst is
// held back like any other, and N bytes take N/rate seconds.
//
// Time spent waiting for input (idle, a gap of at least IdleGap) saves up one
// burst at most: after an idle spell one burst goes at once, then the rate.
// Time lost while there were bytes to send (a timer that fired late on a
// busy machine, the process not scheduled or stopped with SIGSTOP, a reader
// downstream that blocked) is made up, up to CatchUp (one second), by a
// second bucket, the shaper, that fills at 21/20 of the rate and holds one
// burst: the making up goes at most 5% above the rate, never as a flood. So
// in any span of T seconds at most rate×T×1.05 + burst bytes leave, and,
// when nothing is being made up, rate×T + burst.
//
// Time is read from the monotonic clock. Arithmetic is exact: the bucket
// keeps time in nanoseconds plus a remainder in units of 1/rate ns, so
// rounding never drifts however long the stream.
//
// # Changing the rate
//
// SetRate changes the rate (and the default burst with it) while the
// stream runs, from any goroutine; a piece that is waiting is re-timed at
// once, and what the bucket held is kept. Close, or the end of the context
// given with [Context], ends a wait early.
//
// # Options
//
// The constructors refuse an invalid rate or option with an error that
// names the problem and not the package (a chain names the stage; see
// package stages). [Check] says the same without building a limiter, for a
// command line to report in its own name.
//
// # Cost
//
// When the stream is slower than the rate the bucket is always full and a
// piece costs one clock read under a mutex: `frate 10G` runs at the speed of
// cat.
package throttle
