package meter

import (
	"io"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestFields: with pv's display switches, a Lines or Terminal update shows
// those fields only, in pv's order; the last line is the same whatever.
func TestFields(t *testing.T) {
	for _, c := range []struct {
		name   string
		show   Display
		fields Field
		size   bool
		want   string // the first update
	}{
		{"lines bytes", Lines, Bytes, true, "2.00 MiB"},
		{"lines timer", Lines, Timer, true, "0:00:02 elapsed"},
		{"lines bytes timer", Lines, Bytes | Timer, false, "2.00 MiB in 0:00:02"},
		{"lines rate", Lines, Rate, true, "1.00 MiB/s now"},
		{"lines average", Lines, Average, true, "1.00 MiB/s average"},
		{"lines progress", Lines, Progress, true, "50% of 4.00 MiB"},
		{"lines eta", Lines, ETA, true, "ETA 0:00:02"},
		{"lines eta unknown size", Lines, ETA | Bytes, false, "2.00 MiB"},
		{"lines pte", Lines, Progress | Timer | ETA, true, "0:00:02 elapsed, 50% of 4.00 MiB, ETA 0:00:02"},
		{"term timer", Terminal, Timer, true, "0:00:02"},
		{"term rate", Terminal, Rate, true, "[1.00 MiB/s]"},
		{"term average", Terminal, Average, true, "[avg 1.00 MiB/s]"},
		{"term eta", Terminal, ETA, true, "ETA 0:00:02"},
		{"term progress", Terminal, Progress, true, "[" + strings.Repeat("=", 16) + ">" + strings.Repeat(" ", 16) + "]  50%"},
		{"term bounce", Terminal, Progress, false, "[" + strings.Repeat(" ", 10) + "<=>" + strings.Repeat(" ", 25) + "]"},
		{"term bytes eta", Terminal, Bytes | ETA, true, "2.00 MiB ETA 0:00:02"},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var out screen
				opts := []Option{Output(&out), Show(c.show), Fields(c.fields), Interval(2 * time.Second),
					Width(func() int { return 41 }), TimeFormat("")}
				if c.size {
					opts = append(opts, Size(4*mib))
				}
				w, _ := NewWriter(io.Discard, opts...)
				feed(w, 2, mib, 500*time.Millisecond, time.Second) // 2 MiB by 1.5 s
				time.Sleep(time.Second)
				w.Close()
				got := strings.TrimPrefix(strings.Split(out.String(), "\n")[0], "\r")
				if c.show == Terminal {
					got = strings.Split(out.String(), "\r")[1]
				}
				if got != c.want {
					t.Errorf("first update %q, want %q", got, c.want)
				}
				if !strings.Contains(out.String(), "2.00 MiB in 0:00:02.50, 819 KiB/s average: done") {
					t.Errorf("no last line: %q", out.String())
				}
			})
		})
	}
}

func TestFieldsInvalid(t *testing.T) {
	for _, f := range []Field{0, AllFields + 1, 1 << 10} {
		if err := Check(Fields(f)); err == nil {
			t.Errorf("Check(Fields(%#x)) = nil, want an error", uint(f))
		}
	}
}

// TestTimeFormat: every Lines line starts with the time, RFC 3339 unless
// told otherwise; the Terminal and Numeric displays have none.
func TestTimeFormat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out screen
		w, _ := NewWriter(io.Discard, Output(&out), Name("db"), Interval(time.Second))
		feed(w, 1, mib, 1500*time.Millisecond, 0)
		w.Close()
		now := time.Now()
		want := now.Add(-500*time.Millisecond).Format(time.RFC3339) + " db: 0 B in 0:00:01, 0 B/s now, 0 B/s average\n" +
			now.Format(time.RFC3339) + " db: 1.00 MiB in 0:00:01.50, 683 KiB/s average: done\n"
		if got := out.String(); got != want {
			t.Errorf("output\n%q, want\n%q", got, want)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		var out screen
		w, _ := NewWriter(io.Discard, Output(&out), Interval(time.Second), TimeFormat(time.Kitchen))
		w.Write([]byte("x"))
		w.Close()
		if got, want := out.String(), time.Now().Format(time.Kitchen)+" 1 B in 0:00:00.00, 0 B/s average: done\n"; got != want {
			t.Errorf("output %q, want %q", got, want)
		}
	})
	for _, d := range []Display{Terminal, Numeric} {
		synctest.Test(t, func(t *testing.T) {
			var out screen
			w, _ := NewWriter(io.Discard, Output(&out), Show(d), Interval(time.Second), TimeFormat(time.RFC3339))
			w.Write([]byte("x"))
			time.Sleep(1500 * time.Millisecond)
			w.Close()
			if got := out.String(); strings.Contains(got, time.Now().Format("2006-01-02")) {
				t.Errorf("display %d: a time in %q", d, got)
			}
		})
	}
}

// TestWaitFirstByte: nothing is shown until the first byte, and the time
// counts from it.
func TestWaitFirstByte(t *testing.T) {
	for _, d := range []Display{Lines, Numeric} {
		synctest.Test(t, func(t *testing.T) {
			var out screen
			w, _ := NewWriter(io.Discard, Output(&out), Show(d), Interval(time.Second), WaitFirstByte(), TimeFormat(""), NumericTimer())
			time.Sleep(3500 * time.Millisecond)
			if got := out.String(); got != "" {
				t.Errorf("display %d: %q before the first byte", d, got)
			}
			w.Write(make([]byte, mib))
			time.Sleep(time.Second)
			w.Close()
			want := "1.00 MiB in 0:00:00, 2.00 MiB/s now, 2.00 MiB/s average\n1.00 MiB in 0:00:01.00, 1.00 MiB/s average: done\n"
			if d == Numeric {
				want = "0.5000 0\n1.0000 100\n" // the size is unknown
			}
			if got := out.String(); got != want {
				t.Errorf("display %d: output\n%q, want\n%q", d, got, want)
			}
		})
	}
	synctest.Test(t, func(t *testing.T) {
		var out screen
		w, _ := NewWriter(io.Discard, Output(&out), Interval(time.Second), WaitFirstByte(), TimeFormat(""))
		time.Sleep(2500 * time.Millisecond)
		w.Close()
		if got, want := out.String(), "0 B in 0:00:02.50, 0 B/s average: done\n"; got != want {
			t.Errorf("no byte: output %q, want %q", got, want)
		}
	})
}
