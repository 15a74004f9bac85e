// Package throttle is fpipe's rate limiter: a pass-through stage that holds
// a stream to a number of bytes per second, in either direction ([Writer]
// wraps the writer after it, [Reader] the reader before it).
//
// # The bucket
//
// Both directions draw on a token bucket that fills at the rate and holds at
// most the burst (by default a tenth of a second of the rate, at most 64 KiB,
// at least one byte). Every write or read is cut into pieces no larger than
// the burst, and each piece leaves only once the bucket holds enough for it,
// so a reader downstream never sees more than one burst at once.
//
// The bucket starts empty when the first byte arrives: the first burst is
// held back like any other, and N bytes take N/rate seconds. It never holds
// more than the burst, so after an idle spell, or after the process or its
// reader was stopped (SIGSTOP) and continued, at most one burst goes out at
// once: there is no catch-up flood. Time is read from the monotonic clock.
//
// Arithmetic is exact: the bucket keeps time in nanoseconds plus a remainder
// in units of 1/rate ns, so rounding never drifts however long the stream.
//
// # Changing the rate
//
// SetRate changes the rate (and the default burst with it) while the
// stream runs, from any goroutine; a piece that is waiting is re-timed at
// once, and what the bucket held is kept. Close, or the end of the context
// given with [Context], ends a wait early.
//
// # Cost
//
// When the stream is slower than the rate the bucket is always full and a
// piece costs one clock read under a mutex: `frate 10G` runs at the speed of
// cat.
package throttle
