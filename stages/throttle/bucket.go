package throttle

import (
	"context"
	"fmt"
	"math/bits"
	"sync"
	"time"
)

// checkRate reports whether rate bytes per second with the given burst (0:
// the default burst) is a limit this package can hold: rate and burst at
// least 1, and a burst that lasts less than a century at the rate.
func checkRate(rate, burst int64) error {
	if rate < 1 {
		return fmt.Errorf("rate must be at least 1 byte per second, not %d", rate)
	}
	if burst == 0 {
		burst = DefaultBurst(rate)
	}
	if burst < 1 {
		return fmt.Errorf("burst must be at least 1 byte, not %d", burst)
	}
	if _, ok := duration(burst, rate); !ok {
		return fmt.Errorf("a burst of %d bytes lasts too long at %d bytes per second", burst, rate)
	}
	return nil
}

// maxDuration bounds the time one burst may last (146 years).
const maxDuration = 1 << 62

// duration is how long n bytes last at rate, in whole nanoseconds rounded
// down; ok is false when that exceeds maxDuration.
func duration(n, rate int64) (time.Duration, bool) {
	hi, lo := bits.Mul64(uint64(n), uint64(time.Second))
	if hi >= uint64(rate) {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, uint64(rate))
	if q > maxDuration {
		return 0, false
	}
	return time.Duration(q), true
}

// CatchUp is the most lost time a limiter makes up: time lost while it had
// bytes in hand (its timers firing late on a busy machine, the process not
// scheduled or stopped, a write downstream blocking). It makes it up at no
// more than 5% above the rate. Time spent waiting for input is never made
// up beyond one burst.
const CatchUp = time.Second

// IdleGap is the shortest wait for input that counts as idle time. A
// shorter gap cannot be told from the process not being scheduled, so it
// counts as lost time and is made up (at most 5% above the rate).
const IdleGap = 100 * time.Millisecond

// catchUpNum/catchUpDen is how much faster than the rate a limiter goes
// while it makes up lost time: 5%.
const catchUpNum, catchUpDen = 21, 20

// limiter is a token bucket kept as the moment it was (or would have been)
// empty: at time t it holds rate×(t−empty) bytes. empty is held exactly, as
// a time plus frac/rate nanoseconds (0 ≤ frac < rate).
//
// The bucket holds at most one burst of time spent idle (waiting for input),
// and at most one burst plus CatchUp of time lost while busy; bytes beyond
// the burst go at no more than 21/20 of the rate, one piece after another.
type limiter struct {
	mu         sync.Mutex
	rate       int64
	burst      int64
	fixedBurst bool
	started    bool
	empty      time.Time
	frac       uint64
	shaped     time.Time     // the shaper's empty moment (see take)
	changed    chan struct{} // closed and replaced by SetRate
	closed     chan struct{}
	closeOnce  sync.Once
}

// newLimiter returns a limiter for a rate and burst that checkRate accepts.
func newLimiter(rate, burst int64) *limiter {
	l := &limiter{rate: rate, burst: burst, fixedBurst: burst != 0,
		changed: make(chan struct{}), closed: make(chan struct{})}
	if burst == 0 {
		l.burst = DefaultBurst(rate)
	}
	return l
}

// clamp makes the bucket hold at most one burst plus extra of time at now,
// exactly: it holds (now−empty)×rate − frac nanobytes, at most
// burst×1e9 + extra×rate. Callers hold mu.
func (l *limiter) clamp(now time.Time, extra time.Duration) {
	e := now.Sub(l.empty)
	if e <= 0 {
		return
	}
	rate := uint64(l.rate)
	hi, lo := bits.Mul64(uint64(e), rate)
	lo, borrow := bits.Sub64(lo, l.frac, 0)
	hi -= borrow
	bhi, blo := bits.Mul64(uint64(l.burst), uint64(time.Second))
	xhi, xlo := bits.Mul64(uint64(max(extra, 0)), rate)
	blo, carry := bits.Add64(blo, xlo, 0)
	bhi += xhi + carry
	if hi < bhi || hi == bhi && lo <= blo {
		return
	}
	// Full: empty = now − (burst×1e9 + extra×rate)/rate ns, exactly.
	q, r := bits.Div64(bhi, blo, rate) // checkRate: fits
	if r == 0 {
		l.empty, l.frac = now.Add(-time.Duration(q)), 0
	} else {
		l.empty, l.frac = now.Add(-time.Duration(q)-1), rate-r
	}
}

// burstTime is how long one burst lasts at the rate. Callers hold mu.
func (l *limiter) burstTime() time.Duration {
	d, _ := duration(l.burst, l.rate) // checked by checkRate
	return d
}

// after returns empty advanced by the time n bytes last at the rate.
// Callers hold mu; n ≤ burst.
func (l *limiter) after(n int64) (time.Time, uint64) {
	hi, lo := bits.Mul64(uint64(n), uint64(time.Second))
	lo, carry := bits.Add64(lo, l.frac, 0)
	hi += carry
	q, r := bits.Div64(hi, lo, uint64(l.rate))
	return l.empty.Add(time.Duration(q)), r
}

// shapeCost is how long n bytes last at 21/20 of the rate, rounded down.
// Callers hold mu.
func (l *limiter) shapeCost(n int64) time.Duration {
	d, _ := duration(n, l.rate)
	hi, lo := bits.Mul64(uint64(d), catchUpDen)
	q, _ := bits.Div64(hi, lo, catchUpNum)
	return time.Duration(q)
}

// held is what the bucket holds at now, in whole bytes. Callers hold mu.
func (l *limiter) held(now time.Time) int64 {
	e := now.Sub(l.empty)
	if e <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(e), uint64(l.rate))
	lo, borrow := bits.Sub64(lo, l.frac, 0)
	hi -= borrow
	if hi >= uint64(time.Second) {
		return l.burst // more than can be counted: plenty
	}
	q, _ := bits.Div64(hi, lo, uint64(time.Second))
	return int64(min(q, uint64(l.burst)))
}

// shapeHeld is what the shaper holds at now, whose empty moment is start,
// in whole bytes, rounded down. Callers hold mu.
func (l *limiter) shapeHeld(now, start time.Time) int64 {
	e := now.Sub(start)
	if e <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(e), uint64(l.rate))
	if hi >= uint64(time.Second) {
		return l.burst
	}
	q, _ := bits.Div64(hi, lo, uint64(time.Second))
	hi, lo = bits.Mul64(q, catchUpNum)
	q, _ = bits.Div64(hi, lo, catchUpDen)
	return int64(min(q, uint64(l.burst)))
}

// piece is the most bytes that leave at once: half a burst (at least one
// byte), so that a piece can leave early to make up for a late one and the
// whole still fits in a burst. Callers hold mu.
func (l *limiter) piece() int64 { return max(1, l.burst/2) }

// take waits until up to want bytes (at most a piece, or up to a burst if
// both buckets hold that much already) may leave, takes them from the
// bucket and returns how many. idle is how long the caller waited
// for input since its last take: that time is made up to one burst only.
//
// Two buckets must both allow a piece. The first fills at the rate; it is
// limited when a piece arrives, not when its wait ends, so a timer that
// fires late is made up by the next pieces; it keeps one burst of idle
// time, and up to one burst plus CatchUp of lost busy time. The second, the
// shaper, fills at 21/20 of the rate and holds one burst: whatever is made
// up goes at most 5% above the rate, with at most one burst at once.
func (l *limiter) take(ctx context.Context, want int, idle time.Duration) (int, error) {
	for waited := false; ; waited = true {
		select {
		case <-l.closed:
			return 0, ErrClosed
		default:
		}
		l.mu.Lock()
		n := min(int64(want), l.piece())
		now := time.Now()
		if !l.started {
			l.started, l.empty, l.frac = true, now, 0
			l.shaped = now.Add(-l.shapeCost(l.burst))
		}
		if !waited {
			if idle < IdleGap {
				idle = 0 // scheduling noise as likely as a wait for input
			}
			busy := now.Sub(l.empty) - idle - l.burstTime()
			l.clamp(now, min(busy, CatchUp))
		}
		start, shapeFull := l.shaped, false
		if full := now.Add(-l.shapeCost(l.burst)); !start.After(full) {
			start, shapeFull = full, true
		}
		if int64(want) > n {
			// Far below the rate both buckets are full: send what they
			// hold (up to a burst) at once, in one write rather than two.
			sh := l.burst
			if !shapeFull {
				sh = l.shapeHeld(now, start)
			}
			if m := min(int64(want), l.burst, l.held(now), sh); m > n {
				n = m
			}
		}
		due, _ := l.after(n)
		shaped := start.Add(l.shapeCost(n))
		if shaped.After(due) {
			due = shaped
		}
		if !due.After(now) {
			l.empty, l.frac = l.after(n)
			l.shaped = shaped
			l.mu.Unlock()
			return int(n), nil
		}
		changed := l.changed
		l.mu.Unlock()

		t := time.NewTimer(due.Sub(now))
		select {
		case <-t.C:
		case <-changed:
			t.Stop()
		case <-l.closed:
			t.Stop()
			return 0, ErrClosed
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		}
	}
}

func (l *limiter) setRate(rate int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	burst := l.burst
	if !l.fixedBurst {
		burst = DefaultBurst(rate)
	}
	if err := checkRate(rate, burst); err != nil {
		return err
	}
	if l.started {
		// Keep what the bucket holds now, at most the new burst.
		now := time.Now()
		l.clamp(now, 0)
		el := uint64(now.Sub(l.empty))
		hi, lo := bits.Mul64(el, uint64(l.rate))
		held, _ := bits.Div64(hi, lo, uint64(time.Second)) // el ≤ burst/rate: fits
		held = min(held, uint64(burst))
		d, _ := duration(int64(held), rate)
		l.empty, l.frac = now.Add(-d), 0
	}
	l.rate, l.burst = rate, burst
	if l.started {
		l.shaped = time.Now().Add(-l.shapeCost(burst)) // full, in the new rate's time
	}
	close(l.changed)
	l.changed = make(chan struct{})
	return nil
}

func (l *limiter) limits() (rate, burst int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate, l.burst
}

func (l *limiter) close() { l.closeOnce.Do(func() { close(l.closed) }) }
