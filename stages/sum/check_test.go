package sum

import (
	"errors"
	"io"
	"testing"

	"github.com/fpipe/fpipe/internal/option"
	"github.com/fpipe/fpipe/internal/stagetest"
)

// TestCheck: Check accepts what the constructors accept and refuses the
// rest with their error, which says apart why the value is wrong (for a
// tool to put after its flag).
func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []Option
		msg  string // "": valid
		why  string
	}{
		{"none", nil, "", ""},
		{"all valid", []Option{Algorithms(SHA256, BLAKE3), Name("x"), Expect(Sum{MD5, make([]byte, 16)}), BufferSize(4 << 10), Output(&stagetest.MemSink{})}, "", ""},
		{"no algorithm", []Option{Algorithms()}, "no algorithm", "no algorithm"},
		{"bad algorithm", []Option{Algorithms(SHA1, Algorithm(99))}, "invalid algorithm " + Algorithm(99).String(), "invalid algorithm"},
		{"short expect", []Option{Expect(Sum{SHA256, []byte{1}})}, "expected sha256 digest has 1 bytes", "sha256 digest of 1 bytes"},
		{"small buffer", []Option{BufferSize(4<<10 - 1)}, "buffer size 4095 is below 4KiB", "below 4KiB"},
		{"first bad wins", []Option{BufferSize(1), Algorithms()}, "buffer size 1 is below 4KiB", "below 4KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.opts...)
			_, nerr := NewWriter(io.Discard, tc.opts...)
			stagetest.CheckOptionError(t, err, nerr, tc.msg, tc.why)
			_, rerr := NewReader(nil, tc.opts...)
			stagetest.CheckOptionError(t, err, rerr, tc.msg, tc.why)
		})
	}
}

// TestParseAlgorithmError: an unknown name's error says why apart from
// the name, for a tool to put after its flag.
func TestParseAlgorithmError(t *testing.T) {
	t.Parallel()
	_, err := ParseAlgorithm("nope")
	const want = `unknown algorithm "nope" (want sha256, sha512, sha1, md5, blake3 or crc32c)`
	var oe *option.Error
	if err == nil || err.Error() != want || !errors.As(err, &oe) || oe.Why != "unknown algorithm (want sha256, sha512, sha1, md5, blake3 or crc32c)" {
		t.Errorf("ParseAlgorithm(nope) = %#v, want %q with its Why", err, want)
	}
}
