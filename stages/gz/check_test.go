package gz

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
		{"all valid", []Option{Level(0), Level(9), Threads(1), Threads(1024), BlockSize(MinBlockSize), BlockSize(MaxBlockSize), SingleMember(true)}, "", ""},
		{"level -1", []Option{Level(-1)}, "compression level -1 out of range 0-9", "out of range 0-9"},
		{"level 10", []Option{Level(10)}, "compression level 10 out of range 0-9", "out of range 0-9"},
		{"threads 0", []Option{Threads(0)}, "threads 0: need at least 1", "out of range 1-1024"},
		{"threads 1025", []Option{Threads(1025)}, "threads 1025: at most 1024", "out of range 1-1024"},
		{"block size small", []Option{BlockSize(MinBlockSize - 1)}, "block size 65535 out of range 65536-268435456", "out of range 64KiB-256MiB"},
		{"block size large", []Option{BlockSize(MaxBlockSize + 1)}, "block size 268435457 out of range 65536-268435456", "out of range 64KiB-256MiB"},
		{"first bad wins", []Option{Level(1), Threads(0), Level(99)}, "threads 0: need at least 1", "out of range 1-1024"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.opts...)
			_, nerr := NewWriter(io.Discard, tc.opts...)
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
		{"all valid", []ReaderOption{ReadThreads(1), ReadThreads(1024), MaxOutput(0), InputBuffer(4 << 10), InputBuffer(16 << 20)}, "", ""},
		{"threads 0", []ReaderOption{ReadThreads(0)}, "threads 0 out of range 1-1024", "out of range 1-1024"},
		{"threads 1025", []ReaderOption{ReadThreads(1025)}, "threads 1025 out of range 1-1024", "out of range 1-1024"},
		{"max output -1", []ReaderOption{MaxOutput(-1)}, "negative output limit -1", "negative"},
		{"input buffer small", []ReaderOption{InputBuffer(4<<10 - 1)}, "input buffer 4095 out of range 4096-16777216", "out of range 4KiB-16MiB"},
		{"input buffer large", []ReaderOption{InputBuffer(16<<20 + 1)}, "input buffer 16777217 out of range 4096-16777216", "out of range 4KiB-16MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckReader(tc.opts...)
			_, nerr := NewReader(nil, tc.opts...)
			stagetest.CheckOptionError(t, err, nerr, tc.msg, tc.why)
		})
	}
}
