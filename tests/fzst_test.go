package tests

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fpipe/fpipe/tests/internal/e2e"
)

// fzstFile writes b to a file of dir and returns its path.
func fzstFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fzstSkippable is a skippable frame (magic 0x184D2A5?) holding content.
func fzstSkippable(nibble byte, content []byte) []byte {
	b := []byte{0x50 | nibble, 0x2a, 0x4d, 0x18, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(content)))
	return append(b, content...)
}

// TestFzstReadsZstd: fzst -d reads what zstd writes: levels 1 to 19,
// --rsyncable, -T0 frames made of several jobs, --no-check, zstd -c a b,
// and skippable frames between and around them.
func TestFzstReadsZstd(t *testing.T) {
	e2e.Need(t, "zstd")
	t.Parallel()
	dir := t.TempDir()
	a, b := fgzDump(t, 6<<20), []byte(strings.Repeat("second file\n", 5000))
	fa, fb := fzstFile(t, dir, "a", a), fzstFile(t, dir, "b", b)
	ab := append(bytes.Clone(a), b...)
	for _, tc := range []struct {
		name string
		cmd  string
		want []byte
	}{
		{"-1", "zstd -q -c -1 " + fa, a},
		{"-3", "zstd -q -c -3 " + fa, a},
		{"-9", "zstd -q -c -9 " + fa, a},
		{"-19", "zstd -q -c -19 -T2 " + fb, b},
		{"--rsyncable", "zstd -q -c -T2 --rsyncable " + fa, a},
		{"-T0 several jobs", "zstd -q -c -T0 -B1MiB " + fa, a},
		{"--no-check", "zstd -q -c --no-check " + fa, a},
		{"-c a b", "zstd -q -c " + fa + " " + fb, ab},
		{"--long=27", "zstd -q -c --long=27 " + fa, a},
		{"from a pipe (no content size)", "cat " + fb + " | zstd -q -c", b},
		{"empty", "zstd -q -c < /dev/null", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			z := fgzShell(t, nil, tc.cmd)
			for _, args := range [][]string{{"-d"}, {"-t"}} {
				out, stderr, code := fgzRun(t, z, "fzst", args...)
				want := tc.want
				if args[0] == "-t" {
					want = nil
				}
				if code != 0 || stderr != "" || !bytes.Equal(out, want) {
					t.Errorf("fzst %s of %s: exit %d, %q, %d bytes of %d", args[0], tc.cmd, code, stderr, len(out), len(want))
				}
			}
		})
	}
	t.Run("skippable frames", func(t *testing.T) {
		t.Parallel()
		za := fgzShell(t, nil, "zstd -q -c -3 "+fa)
		zb := fgzShell(t, nil, "zstd -q -c "+fb)
		in := bytes.Join([][]byte{
			fzstSkippable(0, []byte("leading metadata")),
			za,
			fzstSkippable(15, nil),
			fzstSkippable(7, bytes.Repeat([]byte{0xfd}, 300000)),
			zb,
			fzstSkippable(1, []byte("trailing")),
		}, nil)
		out, stderr, code := fgzRun(t, in, "fzst", "-d")
		if code != 0 || stderr != "" || !bytes.Equal(out, ab) {
			t.Errorf("fzst -d: exit %d, %q, %d bytes of %d", code, stderr, len(out), len(ab))
		}
		if got := fgzShell(t, in, "zstd -d -c"); !bytes.Equal(got, ab) {
			t.Errorf("zstd -d disagrees on the built skippable frames: %d bytes", len(got))
		}
	})
}

// TestFzstReadByZstd: zstd -d and zstd -t read fzst's output at every
// encoder's levels, with and without checksum, with --long, and fzst's
// frames concatenated with zstd's.
func TestFzstReadByZstd(t *testing.T) {
	e2e.Need(t, "zstd")
	t.Parallel()
	data := append(fgzDump(t, 3<<20), bytes.Repeat([]byte{0}, 500000)...)
	for _, args := range [][]string{{"-1"}, {"-3"}, {"-6"}, {"-7"}, {"-12"}, {"-19"}, {"--no-check"}, {"--long"}, {"-T1"}, {"--level", "9", "-T", "3"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			z, stderr, code := fgzRun(t, data, "fzst", args...)
			if code != 0 || stderr != "" {
				t.Fatalf("fzst %v: exit %d, %s", args, code, stderr)
			}
			if got := fgzShell(t, z, "zstd -d -c --long=27"); !bytes.Equal(got, data) {
				t.Errorf("zstd -d: %d bytes differ from the %d bytes of input", len(got), len(data))
			}
			fgzShell(t, z, "zstd -t -q --long=27")
			if got, _, code := fgzRun(t, z, "fzst", "-d", "--long"); code != 0 || !bytes.Equal(got, data) {
				t.Errorf("fzst -d: exit %d", code)
			}
		})
	}
	t.Run("mixed frames", func(t *testing.T) {
		t.Parallel()
		ours, _, _ := fgzRun(t, data[:1000000], "fzst")
		empty, _, _ := fgzRun(t, nil, "fzst")
		theirs := fgzShell(t, data[1000000:], "zstd -q -c")
		in := bytes.Join([][]byte{ours, empty, theirs, ours}, nil)
		want := append(bytes.Clone(data), data[:1000000]...)
		if got := fgzShell(t, in, "zstd -d -c"); !bytes.Equal(got, want) {
			t.Errorf("zstd -d of ours+empty+theirs+ours: %d bytes, want %d", len(got), len(want))
		}
		if got, stderr, code := fgzRun(t, in, "fzst", "-d"); code != 0 || !bytes.Equal(got, want) {
			t.Errorf("fzst -d of ours+empty+theirs+ours: exit %d, %s", code, stderr)
		}
	})
}

// TestFzstBadInput: each kind of bad input is one line and exit 1, and
// zstd -t agrees that it is bad.
func TestFzstBadInput(t *testing.T) {
	e2e.Need(t, "zstd")
	t.Parallel()
	data := fgzDump(t, 2<<20)
	z := fgzShell(t, data, "zstd -q -c -3")
	n := len(z)
	badSum := bytes.Clone(z)
	badSum[n-3] ^= 0x01
	long := fgzShell(t, data, "zstd -q -c --long=28")
	for _, tc := range []struct {
		name string
		in   []byte
		args []string
		msg  string
	}{
		{"empty", nil, []string{"-d"}, "fzst: stdin: empty input, not zstd data\n"},
		{"not zstd", data[:5000], []string{"-d"}, "fzst: not in zstd format\n"},
		{"gzip", fgzShell(t, data[:5000], "gzip -c"), []string{"-t"}, "fzst: not in zstd format\n"},
		{"truncated", z[:n/3], []string{"-d"}, fmt.Sprintf("fzst: unexpected end of zstd data at offset %d\n", n/3)},
		{"truncated in the checksum", z[:n-1], []string{"-t"}, fmt.Sprintf("fzst: unexpected end of zstd data at offset %d\n", n-1)},
		{"checksum mismatch", badSum, []string{"-d"}, fmt.Sprintf("fzst: content checksum mismatch at offset %d\n", n-4)},
		{"trailing garbage", append(bytes.Clone(z), "garbage\n"...), []string{"-d"}, fmt.Sprintf("fzst: trailing garbage after zstd data at offset %d\n", n)},
		{"trailing zeros", append(bytes.Clone(z), make([]byte, 100)...), []string{"-t"}, fmt.Sprintf("fzst: trailing garbage after zstd data at offset %d\n", n)},
		{"window above --memory", long, []string{"-d"}, "fzst: window too large in the frame at offset 0: it needs 256 MiB, more than the limit of 128 MiB (use --memory=256MiB)\n"},
		{"window above a small --memory", z, []string{"-t", "--memory", "1M"}, "fzst: window too large in the frame at offset 0: it needs 2 MiB, more than the limit of 1 MiB (use --memory=2MiB)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := fgzRun(t, tc.in, "fzst", tc.args...)
			if code != 1 || stderr != tc.msg {
				t.Errorf("fzst %v: exit %d, %q; want 1, %q", tc.args, code, stderr, tc.msg)
			}
			if tc.name == "gzip" {
				return // zstd(1) reads gzip too
			}
			c := exec.Command("zstd", "-t", "-q")
			c.Stdin = bytes.NewReader(tc.in)
			if tc.name == "window above a small --memory" {
				c.Args = append(c.Args, "--memory=1MB")
			}
			if err := c.Run(); err == nil {
				t.Errorf("zstd -t accepts it")
			}
		})
	}
	// The window is refused from the header, before the decoder allocates
	// it: a frame that declares 2 GiB of window, with --memory 4G, starts
	// decoding; with the default limit it is refused in a few MiB.
	dir := t.TempDir()
	hdr := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0x01, 0, 0} // window 2^31, one empty raw last block
	fzstFile(t, dir, "big-window.zst", hdr)
	rss := pipelineRSS(t, dir, fmt.Sprintf("sh -c '%s -t < big-window.zst 2> err; test $? = 1'", bin("fzst")))
	msg, _ := os.ReadFile(filepath.Join(dir, "err"))
	if string(msg) != "fzst: window too large in the frame at offset 0: it needs 2 GiB, more than the limit of 128 MiB (use --memory=2GiB)\n" {
		t.Errorf("2 GiB window: %q", msg)
	}
	if rss[0] > 16*1024 {
		t.Errorf("refusing a 2 GiB window took %d KiB of RSS", rss[0])
	}
}

// TestFzstManyFrames: 100,000 empty frames decode in under 5 s and in
// flat memory.
func TestFzstManyFrames(t *testing.T) {
	empty, _, _ := fgzRun(t, nil, "fzst")
	dir := t.TempDir()
	fzstFile(t, dir, "many.zst", bytes.Repeat(empty, 100000))
	rss := pipelineRSS(t, dir, bin("fzst")+" -d < many.zst", "wc -c > n")
	n, _ := os.ReadFile(filepath.Join(dir, "n"))
	if strings.TrimSpace(string(n)) != "0" {
		t.Errorf("output %q bytes, want 0", n)
	}
	t.Logf("100,000 empty frames: peak RSS %d KiB", rss[0])
	if rss[0] > 24*1024 {
		t.Errorf("peak RSS %d KiB, want at most 24 MiB", rss[0])
	}
}
