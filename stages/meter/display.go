package meter

import (
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fpipe/fpipe/stages"
)

// meter counts bytes and draws the display.
type meter struct {
	config
	n     atomic.Int64
	first atomic.Int64 // with wait: the time of the first byte, in Unix ns
	start time.Time
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once // the last line

	// With an outcome to wait for (stages.OutcomeWatcher): the last line
	// waits for it, with the figures of the stream's end.
	watched  atomic.Bool
	stopOnce sync.Once
	endMu    sync.Mutex
	endAt    time.Time // when the stream ended; zero while it runs

	// Owned by the drawing goroutine, then by finish.
	samples  []sample // recent (time, count) pairs, oldest first
	drawn    int      // Terminal: length of the line on screen
	outBroke bool
	reported atomic.Bool // the last line, with an error, was written
}

type sample struct {
	t time.Time
	n int64
}

func newMeter(opts []Option) (*meter, error) {
	c, err := apply(opts)
	if err != nil {
		return nil, err
	}
	m := &meter{config: c}
	if m.out == nil {
		m.display = Quiet
	}
	if m.interval == 0 {
		switch m.display {
		case Terminal:
			m.interval = DefaultTerminalInterval
		case Numeric:
			m.interval = DefaultNumericInterval
		default:
			m.interval = DefaultLinesInterval
		}
	}
	if m.display == Terminal {
		m.interval = max(m.interval, DefaultTerminalInterval)
	}
	if m.describe == nil {
		m.describe = error.Error
	}
	m.start = time.Now()
	m.samples = []sample{{m.start, 0}}
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	if m.display == Quiet {
		close(m.done)
		return m, nil
	}
	go m.run()
	return m, nil
}

func (m *meter) run() {
	defer close(m.done)
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			m.update(time.Now())
		case <-m.stop:
			return
		}
	}
}

// finish stops the drawing and writes the last line, once: at the end of
// the stream, unless an outcome is watched for.
func (m *meter) finish(err error) {
	if m.watched.Load() {
		m.stopDrawing()
		m.endMu.Lock()
		if m.endAt.IsZero() {
			m.endAt = time.Now()
		}
		m.endMu.Unlock()
		return
	}
	m.once.Do(func() {
		m.stopDrawing()
		m.last(time.Now(), err, false)
	})
}

// conclude writes the last line for the run's outcome, once, with the
// figures of the stream's end (of now, when it has not ended: the run was
// cancelled while a call of the stage was still under way).
func (m *meter) conclude(o stages.Outcome) {
	m.once.Do(func() {
		m.stopDrawing()
		m.endMu.Lock()
		at := m.endAt
		if at.IsZero() {
			at = time.Now()
			m.endAt = at
		}
		m.endMu.Unlock()
		m.last(at, unwrapReported(o.Err), o.Committed)
	})
}

// stopDrawing stops the drawing goroutine and waits for it, once.
func (m *meter) stopDrawing() {
	m.stopOnce.Do(func() {
		close(m.stop)
		<-m.done
	})
}

func (m *meter) write(s string) {
	if m.outBroke {
		return
	}
	if _, err := io.WriteString(m.out, s); err != nil {
		m.outBroke = true
	}
}

// add counts n bytes that went by.
func (m *meter) add(n int) {
	if n > 0 && m.wait && m.first.Load() == 0 {
		m.first.Store(time.Now().UnixNano())
	}
	m.n.Add(int64(n))
}

// begin is when the time counts from: the start, or with wait the first
// byte; ok is false while wait waits.
func (m *meter) begin() (t time.Time, ok bool) {
	if !m.wait {
		return m.start, true
	}
	if f := m.first.Load(); f != 0 {
		return time.Unix(0, f), true
	}
	return m.start, false
}

// stamp is the time that starts a Lines line, with its space.
func (m *meter) stamp(now time.Time) string {
	if m.layout == "" {
		return ""
	}
	return now.Format(m.layout) + " "
}

// update draws one interval's display.
func (m *meter) update(now time.Time) {
	if _, ok := m.begin(); !ok {
		return
	}
	n := m.n.Load()
	cur := m.current(now, n)
	switch m.display {
	case Numeric:
		m.write(m.numeric(now, n, false))
	case Lines:
		m.write(m.stamp(now) + m.prefix() + m.progress(now, n, cur, false) + "\n")
	case Terminal:
		m.redraw(m.prefix()+m.progress(now, n, cur, true), false)
	}
}

// last draws the final line, with the figures of now (a Lines line
// starts with the time it is written).
func (m *meter) last(now time.Time, err error, committed bool) {
	n := m.n.Load()
	switch m.display {
	case Numeric:
		m.write(m.numeric(now, n, err == nil))
		return
	case Quiet:
		return
	}
	line := m.prefix() + m.summary(now, n, err, committed)
	if m.display == Terminal {
		m.redraw(line, true)
	} else {
		m.write(m.stamp(time.Now()) + line + "\n") // when it is known, for a log
	}
	if err != nil && !m.outBroke {
		m.reported.Store(true)
	}
}

// redraw replaces the Terminal line with s (cut to the width), blanking
// what is left of a longer old line; end adds a newline.
func (m *meter) redraw(s string, end bool) {
	if !end {
		w := 80
		if m.width != nil {
			w = m.width()
		}
		w = max(w, 20)
		if len(s) > w-1 {
			s = s[:w-1]
		}
	}
	pad := max(0, m.drawn-len(s))
	m.drawn = len(s)
	out := "\r" + s + strings.Repeat(" ", pad)
	if end {
		out += "\n"
	}
	m.write(out)
}

// current is the rate over the last second or the last interval, whichever
// is longer, and records the sample.
func (m *meter) current(now time.Time, n int64) float64 {
	window := max(time.Second, m.interval)
	old := m.samples[len(m.samples)-1]
	for _, s := range m.samples {
		if now.Sub(s.t) <= window {
			old = s
			break
		}
	}
	if start, _ := m.begin(); old.t.Before(start) {
		old = sample{start, 0} // WaitFirstByte: no byte went by before
	}
	m.samples = append(m.samples, sample{now, n})
	if len(m.samples) > 16 {
		m.samples = append(m.samples[:0], m.samples[len(m.samples)-16:]...)
	}
	return rate(n-old.n, now.Sub(old.t))
}
