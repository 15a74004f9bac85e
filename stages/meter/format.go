package meter

import (
	"fmt"
	"strings"
	"time"
)

func (m *meter) prefix() string {
	if m.name == "" {
		return ""
	}
	return m.name + ": "
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
		start, _ := m.begin()
		fmt.Fprintf(&b, "%.4f ", now.Sub(start).Seconds())
	}
	if m.numBytes {
		fmt.Fprintf(&b, "%d\n", n)
	} else {
		fmt.Fprintf(&b, "%d\n", m.percent(n, clean))
	}
	return b.String()
}

// progress is the body of a Terminal or Lines update: the fields asked
// for, in pv's order.
func (m *meter) progress(now time.Time, n int64, cur float64, term bool) string {
	start, _ := m.begin()
	el := now.Sub(start)
	avg := rate(n, el)
	if term {
		return m.termProgress(el, n, cur, avg)
	}
	var parts []string
	switch f := m.fields; {
	case f&Bytes != 0 && f&Timer != 0:
		parts = append(parts, formatBytes(n)+" in "+clock(el))
	case f&Bytes != 0:
		parts = append(parts, formatBytes(n))
	case f&Timer != 0:
		parts = append(parts, clock(el)+" elapsed")
	}
	if m.fields&Rate != 0 {
		parts = append(parts, formatRate(cur)+" now")
	}
	if m.fields&Average != 0 {
		parts = append(parts, formatRate(avg)+" average")
	}
	if m.size >= 0 && m.fields&Progress != 0 {
		parts = append(parts, fmt.Sprintf("%d%% of %s", m.percent(n, false), formatBytes(m.size)))
	}
	if m.size >= 0 && m.fields&ETA != 0 {
		parts = append(parts, "ETA "+eta(m.size-n, avg))
	}
	return strings.Join(parts, ", ")
}

// termProgress is the Terminal line. What does not fit goes: first the
// bar, then the average.
func (m *meter) termProgress(el time.Duration, n int64, cur, avg float64) string {
	w := 80
	if m.width != nil {
		w = m.width()
	}
	avail := max(w, 20) - 1 - len(m.prefix())
	var head []string
	if m.fields&Bytes != 0 {
		head = append(head, fmt.Sprintf("%8s", formatBytes(n)))
	}
	if m.fields&Timer != 0 {
		head = append(head, clock(el))
	}
	if m.fields&Rate != 0 {
		head = append(head, fmt.Sprintf("[%10s]", formatRate(cur)))
	}
	var b strings.Builder
	b.WriteString(strings.Join(head, " "))
	sep := func() string {
		if b.Len() == 0 {
			return ""
		}
		return " "
	}
	var tail []string
	if m.size >= 0 && m.fields&Progress != 0 {
		tail = append(tail, fmt.Sprintf("%3d%%", m.percent(n, false)))
	}
	if m.size >= 0 && m.fields&ETA != 0 {
		tail = append(tail, "ETA "+eta(m.size-n, avg))
	}
	tails := strings.Join(tail, " ")
	if tails != "" {
		tails = " " + tails
	}
	if m.fields&Average != 0 {
		avgs := sep() + fmt.Sprintf("[avg %10s]", formatRate(avg))
		if b.Len()+len(avgs)+len(tails) <= avail || m.fields == Average {
			b.WriteString(avgs)
		}
	}
	if m.fields&Progress != 0 {
		s := sep()
		if barw := avail - b.Len() - len(s) - len(tails); barw >= 5 {
			b.WriteString(s)
			if m.size >= 0 {
				b.WriteString(bar(n, m.size, barw))
			} else {
				b.WriteString(bounce(el, barw))
			}
		}
	}
	if b.Len() == 0 {
		tails = strings.TrimPrefix(tails, " ")
	}
	b.WriteString(tails)
	return b.String()
}

// bounce is the bar of an unknown size, as pv's: a <=> that moves left
// and right, one column per update interval of 200 ms.
func bounce(el time.Duration, w int) string {
	inner := w - 2
	span := inner - 3
	if span <= 0 {
		return "[" + strings.Repeat(" ", inner) + "]"
	}
	pos := int(el/DefaultTerminalInterval) % (2 * span)
	if pos > span {
		pos = 2*span - pos
	}
	return "[" + strings.Repeat(" ", pos) + "<=>" + strings.Repeat(" ", span-pos) + "]"
}

// summary is the body of the last line: "committed" when the run
// committed what it publishes, else "done" when the stream ended cleanly.
func (m *meter) summary(now time.Time, n int64, err error, committed bool) string {
	start, _ := m.begin()
	el := now.Sub(start)
	s := fmt.Sprintf("%s in %s, %s average", formatBytes(n), clockHundredths(el), formatRate(rate(n, el)))
	word := "done"
	if committed {
		word = "committed"
	}
	switch {
	case err != nil:
		return s + ": failed: " + m.describe(err)
	case m.size >= 0 && n < m.size:
		return fmt.Sprintf("%s: %s, short of the expected %s (%d%%)", s, word, formatBytes(m.size), m.percent(n, false))
	}
	return s + ": " + word
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
		return clock(0)
	}
	if avg <= 0 {
		return "-:--:--"
	}
	s := float64(left) / avg
	if s > 1e8 {
		return "-:--:--"
	}
	return clock(time.Duration(s+0.999) * time.Second)
}

// formatBytes formats n bytes for people, with three significant digits in
// binary units: "512 B", "1.50 KiB", "15.0 MiB", "150 GiB".
func formatBytes(n int64) string { return human(float64(n), "") }

// formatRate formats bytes per second as formatBytes does, with "/s".
func formatRate(v float64) string { return human(v, "/s") }

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

// clock formats a duration as H:MM:SS, rounded down to the second.
func clock(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}

// clockHundredths formats a duration as H:MM:SS.ss, rounded down.
func clockHundredths(d time.Duration) string {
	return fmt.Sprintf("%s.%02d", clock(d), d%time.Second/(10*time.Millisecond))
}
