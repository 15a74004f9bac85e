package meter

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Display is what a meter shows.
type Display int

const (
	Lines    Display = iota // a plain line every interval, then a summary line
	Terminal                // one line redrawn in place, then a summary line
	Numeric                 // pv -n numbers, one per line
	Quiet                   // nothing
)

// Default intervals between two updates.
const (
	DefaultTerminalInterval = 200 * time.Millisecond // also the shortest on a terminal
	DefaultLinesInterval    = 10 * time.Second
	DefaultNumericInterval  = time.Second
)

// DefaultBufferSize is the buffer Writer.ReadFrom reads into.
const DefaultBufferSize = 128 << 10

// ErrClosedEarly is the reason a Reader's last line gives when it was closed
// before its source ended.
var ErrClosedEarly = errors.New("stopped before the end of the stream")

// Option configures a Writer or Reader.
type Option func(*config) error

type config struct {
	out      io.Writer
	display  Display
	interval time.Duration
	size     int64 // -1: unknown
	name     string
	width    func() int
	numBytes bool
	numTimer bool
	describe func(error) string
	bufSize  int
}

// Output sets where the meter writes (default: nowhere, as Quiet).
func Output(w io.Writer) Option {
	return func(c *config) error { c.out = w; return nil }
}

// Show sets the display (default Lines).
func Show(d Display) Option {
	return func(c *config) error {
		if d < Lines || d > Quiet {
			return fmt.Errorf("meter: unknown display %d", d)
		}
		c.display = d
		return nil
	}
}

// Interval sets the time between two updates (default: 200 ms on a
// Terminal, 10 s for Lines, 1 s for Numeric). A Terminal is never redrawn
// more often than every DefaultTerminalInterval.
func Interval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("meter: interval must be positive, not %v", d)
		}
		c.interval = d
		return nil
	}
}

// Size sets the number of bytes expected, for the bar, the percentage and
// the time left (default: unknown).
func Size(n int64) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("meter: negative size %d", n)
		}
		c.size = n
		return nil
	}
}

// Name sets a prefix for every line, followed by ": " (default none).
func Name(s string) Option {
	return func(c *config) error { c.name = s; return nil }
}

// Width sets how the Terminal display learns the number of columns; it is
// asked before every redraw (default: 80 columns). Values below 20 count
// as 20.
func Width(f func() int) Option {
	return func(c *config) error { c.width = f; return nil }
}

// NumericBytes makes the Numeric display print the byte count instead of
// the percentage (pv -n -b).
func NumericBytes() Option {
	return func(c *config) error { c.numBytes = true; return nil }
}

// NumericTimer makes the Numeric display print the elapsed seconds first
// (pv -n -t).
func NumericTimer() Option {
	return func(c *config) error { c.numTimer = true; return nil }
}

// Describe sets how the last line words an error (default: err.Error()).
func Describe(f func(error) string) Option {
	return func(c *config) error { c.describe = f; return nil }
}

// BufferSize sets the size of the buffer that Writer.ReadFrom allocates on
// its first call (default DefaultBufferSize).
func BufferSize(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("meter: buffer size must be at least 1, not %d", n)
		}
		c.bufSize = n
		return nil
	}
}

// meter counts bytes and draws the display.
type meter struct {
	config
	n     atomic.Int64
	start time.Time
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once

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
	m := &meter{config: config{display: Lines, size: -1, bufSize: DefaultBufferSize}}
	for _, o := range opts {
		if err := o(&m.config); err != nil {
			return nil, err
		}
	}
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

// finish stops the drawing and writes the last line, once.
func (m *meter) finish(err error) {
	m.once.Do(func() {
		close(m.stop)
		<-m.done
		m.last(time.Now(), err)
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

// update draws one interval's display.
func (m *meter) update(now time.Time) {
	n := m.n.Load()
	cur := m.current(now, n)
	switch m.display {
	case Numeric:
		m.write(m.numeric(now, n, false))
	case Lines:
		m.write(m.prefix() + m.progress(now, n, cur, false) + "\n")
	case Terminal:
		m.redraw(m.prefix()+m.progress(now, n, cur, true), false)
	}
}

// last draws the final line.
func (m *meter) last(now time.Time, err error) {
	n := m.n.Load()
	switch m.display {
	case Numeric:
		m.write(m.numeric(now, n, err == nil))
		return
	case Quiet:
		return
	}
	line := m.prefix() + m.summary(now, n, err)
	if m.display == Terminal {
		m.redraw(line, true)
	} else {
		m.write(line + "\n")
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

func (m *meter) prefix() string {
	if m.name == "" {
		return ""
	}
	return m.name + ": "
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
	m.samples = append(m.samples, sample{now, n})
	if len(m.samples) > 16 {
		m.samples = append(m.samples[:0], m.samples[len(m.samples)-16:]...)
	}
	return rate(n-old.n, now.Sub(old.t))
}

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// percent is n of the size, 0 to 100; an unknown size counts 0, and 100
// once the stream ended cleanly.
func (m *meter) percent(n int64, ended bool) int64 {
	switch {
	case m.size < 0:
		if ended {
			return 100
		}
		return 0
	case m.size == 0 || n >= m.size:
		return 100
	}
	return n * 100 / m.size
}

func (m *meter) numeric(now time.Time, n int64, clean bool) string {
	var b strings.Builder
	if m.numTimer {
		fmt.Fprintf(&b, "%.4f ", now.Sub(m.start).Seconds())
	}
	if m.numBytes {
		fmt.Fprintf(&b, "%d\n", n)
	} else {
		fmt.Fprintf(&b, "%d\n", m.percent(n, clean))
	}
	return b.String()
}

// progress is the body of a Terminal or Lines update.
func (m *meter) progress(now time.Time, n int64, cur float64, term bool) string {
	el := now.Sub(m.start)
	avg := rate(n, el)
	var b strings.Builder
	if term {
		// What does not fit goes: first the bar, then the average.
		w := 80
		if m.width != nil {
			w = m.width()
		}
		avail := max(w, 20) - 1 - len(m.prefix())
		fmt.Fprintf(&b, "%8s %s [%10s]", Bytes(n), Clock(el), Rate(cur))
		avgs := fmt.Sprintf(" [avg %10s]", Rate(avg))
		tail := ""
		if m.size >= 0 {
			tail = fmt.Sprintf(" %3d%% ETA %s", m.percent(n, false), eta(m.size-n, avg))
		}
		if b.Len()+len(avgs)+len(tail) <= avail {
			b.WriteString(avgs)
		}
		if barw := avail - b.Len() - len(tail) - 1; m.size >= 0 && barw >= 5 {
			b.WriteString(" " + bar(n, m.size, barw))
		}
		b.WriteString(tail)
		return b.String()
	}
	fmt.Fprintf(&b, "%s in %s, %s now, %s average", Bytes(n), Clock(el), Rate(cur), Rate(avg))
	if m.size >= 0 {
		fmt.Fprintf(&b, ", %d%% of %s, ETA %s", m.percent(n, false), Bytes(m.size), eta(m.size-n, avg))
	}
	return b.String()
}

// summary is the body of the last line.
func (m *meter) summary(now time.Time, n int64, err error) string {
	el := now.Sub(m.start)
	s := fmt.Sprintf("%s in %s, %s average", Bytes(n), ClockHundredths(el), Rate(rate(n, el)))
	switch {
	case err != nil:
		return s + ": failed: " + m.describe(err)
	case m.size >= 0 && n < m.size:
		return fmt.Sprintf("%s: done, short of the expected %s (%d%%)", s, Bytes(m.size), m.percent(n, false))
	}
	return s + ": done"
}

func bar(n, size int64, w int) string {
	inner := w - 2
	fill := inner
	if size > 0 && n < size {
		fill = int(int64(inner) * n / size)
	}
	if fill >= inner {
		return "[" + strings.Repeat("=", inner) + "]"
	}
	return "[" + strings.Repeat("=", fill) + ">" + strings.Repeat(" ", inner-fill-1) + "]"
}

func eta(left int64, avg float64) string {
	if left <= 0 {
		return Clock(0)
	}
	if avg <= 0 {
		return "-:--:--"
	}
	s := float64(left) / avg
	if s > 1e8 {
		return "-:--:--"
	}
	return Clock(time.Duration(s+0.999) * time.Second)
}

// Bytes formats n bytes for people, with three significant digits in
// binary units: "512 B", "1.50 KiB", "15.0 MiB", "150 GiB".
func Bytes(n int64) string { return human(float64(n), "") }

// Rate formats bytes per second as Bytes does, with "/s".
func Rate(v float64) string { return human(v, "/s") }

func human(v float64, suffix string) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for (v >= 999.5 && i > 0 || v >= 1024) && i < len(units)-1 {
		v /= 1024
		i++
	}
	switch {
	case i == 0:
		return fmt.Sprintf("%.0f B%s", v, suffix)
	case v < 9.995:
		return fmt.Sprintf("%.2f %s%s", v, units[i], suffix)
	case v < 99.95:
		return fmt.Sprintf("%.1f %s%s", v, units[i], suffix)
	}
	return fmt.Sprintf("%.0f %s%s", v, units[i], suffix)
}

// Clock formats a duration as H:MM:SS, rounded down to the second.
func Clock(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}

// ClockHundredths formats a duration as H:MM:SS.ss, rounded down.
func ClockHundredths(d time.Duration) string {
	return fmt.Sprintf("%s.%02d", Clock(d), d%time.Second/(10*time.Millisecond))
}

// reportedError is an error that the meter's last line has shown already.
type reportedError struct {
	err error
	m   *meter
}

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// Reported tells whether the meter's last line, which names the error, was
// written: a command-line tool need not print it again.
func (e *reportedError) Reported() bool { return e.m.reported.Load() }

// Writer passes what is written to it on to the writer it wraps and counts
// it. Writes must come from one goroutine at a time; Count is safe from any.
type Writer struct {
	dst io.Writer
	m   *meter
	buf []byte
	err error
}

var (
	_ io.WriteCloser = (*Writer)(nil)
	_ io.ReaderFrom  = (*Writer)(nil)
	_ io.ReadCloser  = (*Reader)(nil)
)

// NewWriter returns a Writer that writes to dst, and starts its display.
// It fails only for an invalid option.
func NewWriter(dst io.Writer, opts ...Option) (*Writer, error) {
	m, err := newMeter(opts)
	if err != nil {
		return nil, err
	}
	return &Writer{dst: dst, m: m}, nil
}

// Write writes p to the wrapped writer and counts what it took. Errors are
// sticky; one that the display will show in its last line (Terminal,
// Lines) has a Reported method that says, once the last line is written,
// that it was shown.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.dst.Write(p)
	w.m.n.Add(int64(n))
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = w.wrap(err)
	}
	return n, w.err
}

func (w *Writer) wrap(err error) error {
	if w.m.display == Terminal || w.m.display == Lines {
		return &reportedError{err, w.m}
	}
	return err
}

// ReadFrom copies r to the wrapped writer through a buffer of BufferSize
// bytes, counting, until io.EOF (which it does not return) or an error.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.buf == nil {
		w.buf = make([]byte, w.m.bufSize)
	}
	var n int64
	for {
		nr, rerr := r.Read(w.buf)
		if nr > 0 {
			nw, werr := w.Write(w.buf[:nr])
			n += int64(nw)
			if werr != nil {
				return n, werr
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, w.wrap(rerr)
		}
	}
}

// Close ends the display with the last line: "done", or the error that a
// write met. It does not close the wrapped writer, and returns nil.
func (w *Writer) Close() error { return w.CloseWithError(nil) }

// CloseWithError ends the display with a last line that reports err (the
// reason the stream stopped, when that happened elsewhere), or, when err is
// nil, what Close reports. It returns nil.
func (w *Writer) CloseWithError(err error) error {
	if err == nil {
		err = w.err
	}
	w.m.finish(unwrapReported(err))
	return nil
}

func unwrapReported(err error) error {
	if re, ok := err.(*reportedError); ok {
		return re.err
	}
	return err
}

// Count is the number of bytes written so far.
func (w *Writer) Count() int64 { return w.m.n.Load() }

// Reader reads from the reader it wraps and counts what it reads. Reads
// must come from one goroutine at a time; Count is safe from any.
type Reader struct {
	src   io.Reader
	m     *meter
	err   error
	ended bool
}

// NewReader returns a Reader that reads from src, and starts its display.
// It fails only for an invalid option.
func NewReader(src io.Reader, opts ...Option) (*Reader, error) {
	m, err := newMeter(opts)
	if err != nil {
		return nil, err
	}
	return &Reader{src: src, m: m}, nil
}

// Read reads from the wrapped reader and counts what it returns. Its
// errors come back as they are.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.src.Read(p)
	r.m.n.Add(int64(n))
	switch {
	case err == io.EOF:
		r.ended = true
	case err != nil && r.err == nil:
		r.err = err
	}
	return n, err
}

// Close ends the display with the last line: "done" once the source ended,
// the first error it returned, or ErrClosedEarly. It does not close the
// wrapped reader, and returns nil.
func (r *Reader) Close() error {
	err := r.err
	if err == nil && !r.ended {
		err = ErrClosedEarly
	}
	r.m.finish(err)
	return nil
}

// Count is the number of bytes read so far.
func (r *Reader) Count() int64 { return r.m.n.Load() }
