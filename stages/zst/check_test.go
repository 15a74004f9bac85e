package zst

import (
	"io"
	"testing"

	"github.com/fpipe/fpipe/internal/stagetest"
)

// TestCheck: Check and CheckReader accept what the constructors accept and
// refuse the rest with the constructors' error, which says apart why the
// value is wrong (for a tool to put after its flag).
func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []Option
		msg  string // "": valid
		why  string
	}{
		{"none", nil, "", ""},
		{"all valid", []Option{Level(MinLevel), Level(MaxLevel), Threads(1), WindowLog(MinWindowLog), WindowLog(MaxWindowLog), Checksum(false)}, "", ""},
		{"level 0", []Option{Level(0)}, "compression level 0 out of range 1-19", "out of range 1-19"},
		{"level 20", []Option{Level(20)}, "compression level 20 out of range 1-19", "out of range 1-19"},
		{"threads 0", []Option{Threads(0)}, "threads 0: at least 1", "at least 1"},
		{"window log 9", []Option{WindowLog(9)}, "window log 9 out of range 10-29", "the window log must be 10 to 29"},
		{"window log 30", []Option{WindowLog(30)}, "window log 30 out of range 10-29", "the window log must be 10 to 29"},
		{"first bad wins", []Option{Threads(0), Level(99)}, "threads 0: at least 1", "at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.opts...)
			var nerr error
			if w, err := NewWriter(io.Discard, tc.opts...); err != nil {
				nerr = err
			} else {
				w.Close()
			}
			stagetest.CheckOptionError(t, err, nerr, tc.msg, tc.why)
		})
	}
}

func TestCheckReader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []ReaderOption
		msg  string // "": valid
		why  string
	}{
		{"none", nil, "", ""},
		{"all valid", []ReaderOption{MaxWindow(MinWindow), MaxWindow(MaxWindowLimit), IgnoreChecksum(true), Concurrency(1), Concurrency(16), InputBuffer(4 << 10), InputBuffer(16 << 20)}, "", ""},
		{"window small", []ReaderOption{MaxWindow(MinWindow - 1)}, "window limit 1023 out of range 1024-4123168604160", "out of range 1KiB-3840GiB"},
		{"window large", []ReaderOption{MaxWindow(MaxWindowLimit + 1)}, "window limit 4123168604161 out of range 1024-4123168604160", "out of range 1KiB-3840GiB"},
		{"concurrency 0", []ReaderOption{Concurrency(0)}, "concurrency 0 out of range 1-16", "out of range 1-16"},
		{"concurrency 17", []ReaderOption{Concurrency(17)}, "concurrency 17 out of range 1-16", "out of range 1-16"},
		{"input buffer small", []ReaderOption{InputBuffer(4<<10 - 1)}, "input buffer 4095 out of range 4096-16777216", "out of range 4KiB-16MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckReader(tc.opts...)
			var nerr error
			if r, err := NewReader(nil, tc.opts...); err != nil {
				nerr = err
			} else {
				r.Close()
			}
			stagetest.CheckOptionError(t, err, nerr, tc.msg, tc.why)
		})
	}
}
