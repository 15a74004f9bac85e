package tests

import (
	"bytes"
	"compress/gzip" // an oracle for fgz's output; fgz never decodes with it
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fpipe/fpipe/tests/gendump/dump"
	"github.com/fpipe/fpipe/tests/internal/e2e"
	"github.com/klauspost/compress/flate"
)

// fgzDump is a deterministic dump of n bytes.
func fgzDump(t testing.TB, n int64) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := io.Copy(&b, dump.NewReader(1, n)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fgzRun runs a built tool with stdin and returns stdout, stderr and the
// exit status.
func fgzRun(t testing.TB, stdin []byte, name string, args ...string) ([]byte, string, int) {
	t.Helper()
	c := exec.Command(bin(name), args...)
	c.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	return out.Bytes(), errb.String(), exitCode(err)
}

// fgzShell runs a shell command with stdin and returns stdout; it fails
// the test if the command fails.
func fgzShell(t testing.TB, stdin []byte, command string) []byte {
	t.Helper()
	c := exec.Command("sh", "-c", command)
	c.Stdin = bytes.NewReader(stdin)
	var errb bytes.Buffer
	c.Stderr = &errb
	out, err := c.Output()
	if err != nil {
		t.Fatalf("%s: %v: %s", command, err, errb.String())
	}
	return out
}

// fgzNeed skips the test unless the programs are installed.
var fgzNeed = e2e.Need

// TestFgzInteropLevels: at every level, fgz's output (independent members,
// and --single-member) decodes with gzip -d, pigz -d, zcat, igzip -d and
// Go's compress/gzip, and carries the reproducible header; fgz -d decodes
// it on 1, 2 and 8 threads.
func TestFgzInteropLevels(t *testing.T) {
	fgzNeed(t, "gzip", "pigz", "zcat", "igzip")
	t.Parallel()
	data := append(fgzDump(t, 1500000), bytes.Repeat([]byte{0}, 200000)...)
	for level := 0; level <= 9; level++ {
		t.Run(fmt.Sprint(level), func(t *testing.T) {
			t.Parallel()
			for _, single := range []bool{false, true} {
				args := []string{"--level", fmt.Sprint(level), "-b", "256K"}
				if single {
					args = append(args, "--single-member")
				}
				z, stderr, code := fgzRun(t, data, "fgz", args...)
				if code != 0 || stderr != "" {
					t.Fatalf("fgz %v: exit %d, %s", args, code, stderr)
				}
				xfl := map[int]byte{1: 4, 9: 2}[level]
				want := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3}
				if !single {
					n := binary.LittleEndian.Uint32(z[16:])
					want = []byte{0x1f, 0x8b, 8, 4, 0, 0, 0, 0, xfl, 3, 8, 0, 'F', 'P', 4, 0, byte(n), byte(n >> 8), byte(n >> 16), 0}
				}
				if !bytes.Equal(z[:len(want)], want) {
					t.Errorf("fgz %v: header % x, want % x", args, z[:len(want)], want)
				}
				for _, cmd := range []string{"gzip -d", "pigz -d", "zcat", "igzip -dc"} {
					if got := fgzShell(t, z, cmd); !bytes.Equal(got, data) {
						t.Errorf("fgz %v | %s: %d bytes differ from the %d bytes of input", args, cmd, len(got), len(data))
					}
				}
				r, err := gzip.NewReader(bytes.NewReader(z))
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(r)
				if err != nil || !bytes.Equal(got, data) {
					t.Errorf("fgz %v: compress/gzip: %d bytes, %v", args, len(got), err)
				}
				for _, p := range []string{"1", "2", "8"} {
					got, stderr, code := fgzRun(t, z, "fgz", "-d", "-p", p)
					if code != 0 || stderr != "" || !bytes.Equal(got, data) {
						t.Errorf("fgz %v | fgz -d -p %s: exit %d, %q, %d bytes of %d", args, p, code, stderr, len(got), len(data))
					}
				}
			}
		})
	}
}

// TestFgzReproducible: -p 1, 2 and 8 give the same bytes; so does a
// different way of feeding the input (a pipe in small writes); and the
// bytes are those fgz gave when this test was written (update the hash
// only with a deliberate change of format or of klauspost/compress).
func TestFgzReproducible(t *testing.T) {
	t.Parallel()
	data := fgzDump(t, 5<<20)
	want, _, _ := fgzRun(t, data, "fgz", "-p", "1")
	for _, args := range [][]string{{"-p", "2"}, {"-p", "8"}, {"--threads", "3", "-c"}} {
		got, stderr, code := fgzRun(t, data, "fgz", args...)
		if code != 0 || !bytes.Equal(got, want) {
			t.Errorf("fgz %v: exit %d (%s), output differs from -p 1's", args, code, stderr)
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.WriteFile(in, data, 0o644)
	got := fgzShell(t, nil, fmt.Sprintf("dd if=%s bs=777 status=none | %s -p 4", in, bin("fgz")))
	if !bytes.Equal(got, want) {
		t.Error("input in 777-byte writes: output differs")
	}
	sum := sha256.Sum256(want)
	const golden = "e9881f77865845c088192b6ec7649690378028978211327c3f87dbd989b21089"
	if h := hex.EncodeToString(sum[:]); h != golden {
		t.Errorf("sha256 of fgz's output of a 5 MiB dump is %s, was %s: the same input no longer gives the same bytes", h, golden)
	}
	// --single-member writes the one-member stream of earlier versions.
	single, _, _ := fgzRun(t, data, "fgz", "--single-member", "-p", "3")
	sum = sha256.Sum256(single)
	const goldenSingle = "dc23e6fde18597b7984a8094f844ffdb0c5a97d6402bbcd6c4a90d00c7c80730"
	if h := hex.EncodeToString(sum[:]); h != goldenSingle {
		t.Errorf("sha256 of fgz --single-member's output of a 5 MiB dump is %s, was %s", h, goldenSingle)
	}
}

// member builds one gzip member by hand with the header fields given.
func fgzMember(t testing.TB, name, comment string, extra []byte, hcrc bool, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	flg := byte(0)
	if hcrc {
		flg |= 2
	}
	if extra != nil {
		flg |= 4
	}
	if name != "" {
		flg |= 8
	}
	if comment != "" {
		flg |= 16
	}
	b.Write([]byte{0x1f, 0x8b, 8, flg, 1, 2, 3, 4, 0, 3})
	if extra != nil {
		binary.Write(&b, binary.LittleEndian, uint16(len(extra)))
		b.Write(extra)
	}
	for _, s := range []string{name, comment} {
		if s != "" {
			b.WriteString(s)
			b.WriteByte(0)
		}
	}
	if hcrc {
		binary.Write(&b, binary.LittleEndian, uint16(crc32.ChecksumIEEE(b.Bytes())))
	}
	fw, _ := flate.NewWriter(&b, 5)
	fw.Write(data)
	fw.Close()
	binary.Write(&b, binary.LittleEndian, crc32.ChecksumIEEE(data))
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	return b.Bytes()
}

// TestFgzHeaders: members with a name, a comment, an extra field and a
// header CRC decode; a wrong header CRC is an error; gzip agrees.
func TestFgzHeaders(t *testing.T) {
	t.Parallel()
	data := fgzDump(t, 100000)
	extra := append([]byte("AP\x04\x00abcd"), bytes.Repeat([]byte{9}, 300)...)
	in := bytes.Join([][]byte{
		fgzMember(t, "dump.sql", "", nil, false, data[:10000]),
		fgzMember(t, "", "a comment, ISO 8859-1: \xe9t\xe9", nil, false, data[10000:20000]),
		fgzMember(t, "", "", extra, false, data[20000:30000]),
		fgzMember(t, "", "", nil, true, data[30000:40000]),
		fgzMember(t, "n.sql", "c", extra, true, data[40000:]),
	}, nil)
	out, stderr, code := fgzRun(t, in, "fgz", "-d")
	if code != 0 || stderr != "" || !bytes.Equal(out, data) {
		t.Fatalf("fgz -d: exit %d, %q, %d bytes of %d", code, stderr, len(out), len(data))
	}
	if _, err := exec.LookPath("gzip"); err == nil {
		if got := fgzShell(t, in, "gzip -d"); !bytes.Equal(got, data) {
			t.Errorf("gzip -d disagrees on the built members")
		}
	}
	bad := fgzMember(t, "n.sql", "c", extra, true, data[:1000])
	hdrEnd := 10 + 2 + len(extra) + len("n.sql\x00c\x00")
	bad[hdrEnd] ^= 0xff
	_, stderr, code = fgzRun(t, bad, "fgz", "-t")
	if want := fmt.Sprintf("fgz: invalid gzip header at offset %d: header crc16 is ", hdrEnd); code != 1 || !strings.HasPrefix(stderr, want) {
		t.Errorf("bad header CRC: exit %d, %q; want 1, %q...", code, stderr, want)
	}
}

// TestFgzMultiMember: gzip -c a b, and members of fgz, gzip and pigz
// concatenated, decode as one stream.
func TestFgzMultiMember(t *testing.T) {
	fgzNeed(t, "gzip", "pigz")
	t.Parallel()
	a, b := fgzDump(t, 300000), []byte(strings.Repeat("second file\n", 5000))
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), a, 0o644)
	os.WriteFile(filepath.Join(dir, "b"), b, 0o644)
	ab := append(bytes.Clone(a), b...)
	cmd := exec.Command("gzip", "-c", "a", "b")
	cmd.Dir = dir
	gzab, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := fgzRun(t, gzab, "fgz", "-d"); code != 0 || !bytes.Equal(out, ab) {
		t.Errorf("gzip -c a b: exit %d, %s", code, stderr)
	}
	fa, _, _ := fgzRun(t, a, "fgz")
	mixed := bytes.Join([][]byte{fa, fgzShell(t, b, "gzip -9"), fgzShell(t, a, "pigz -p2 -i"), fgzShell(t, nil, "gzip")}, nil)
	want := bytes.Join([][]byte{a, b, a}, nil)
	if out, stderr, code := fgzRun(t, mixed, "fgz", "-d"); code != 0 || !bytes.Equal(out, want) {
		t.Errorf("fgz+gzip+pigz members: exit %d, %s, %d bytes of %d", code, stderr, len(out), len(want))
	}
}

// TestFgzManyEmptyMembers: 200,000 empty members (4 MB of gzip, no data)
// decode in under 5 s and in flat memory.
func TestFgzManyEmptyMembers(t *testing.T) {
	empty, _, _ := fgzRun(t, nil, "fgz")
	if len(empty) != 20 {
		t.Fatalf("empty member is %d bytes", len(empty))
	}
	dir := t.TempDir()
	many := filepath.Join(dir, "many.gz")
	if err := os.WriteFile(many, bytes.Repeat(empty, 200000), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rss := pipelineRSS(t, dir, bin("fgz")+" -d < many.gz", "wc -c > n")
	took := time.Since(start)
	n, _ := os.ReadFile(filepath.Join(dir, "n"))
	if strings.TrimSpace(string(n)) != "0" {
		t.Errorf("output %q bytes, want 0", n)
	}
	t.Logf("200,000 empty members: %v, peak RSS %d KiB", took, rss[0])
	if took > 5*time.Second {
		t.Errorf("took %v, want under 5 s", took)
	}
	if rss[0] > 16*1024 {
		t.Errorf("peak RSS %d KiB, want at most 16 MiB", rss[0])
	}
}

// TestFgzExitStatus: 0 for good data, 1 for bad data, 2 for bad usage, and
// never 0 with an empty output for an empty input.
func TestFgzExitStatus(t *testing.T) {
	t.Parallel()
	z, _, _ := fgzRun(t, []byte("data\n"), "fgz")
	for _, tc := range []struct {
		in   []byte
		args []string
		code int
		msg  string
	}{
		{z, []string{"-d"}, 0, ""},
		{z, []string{"-t"}, 0, ""},
		{nil, []string{"-d"}, 1, "fgz: stdin: empty input, not gzip data\n"},
		{nil, []string{"-t"}, 1, "fgz: stdin: empty input, not gzip data\n"},
		{[]byte("text"), []string{"-d"}, 1, "fgz: not in gzip format\n"},
		{z[:len(z)-1], []string{"-t"}, 1, fmt.Sprintf("fgz: unexpected end of gzip data at offset %d\n", len(z)-1)},
		{nil, []string{"missing-file"}, 1, "fgz: missing-file: no such file or directory\n"},
		{nil, []string{"-S", "", "file"}, 2, ""},
		{nil, []string{"--level", "11"}, 2, ""},
		{nil, []string{"-p", "-1"}, 2, ""},
		{nil, []string{"-d", "--max-output", "-5"}, 2, ""},
	} {
		_, stderr, code := fgzRun(t, tc.in, "fgz", tc.args...)
		if code != tc.code || (tc.msg != "" && stderr != tc.msg) {
			t.Errorf("fgz %v: exit %d, %q; want %d, %q", tc.args, code, stderr, tc.code, tc.msg)
		}
	}
}

// fgzRunFile runs fgz with a file of dir as stdin and counts its output.
func fgzRunFile(t testing.TB, dir, name string, args ...string) (int64, string, int) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := exec.Command(bin("fgz"), args...)
	c.Stdin = f
	var errb bytes.Buffer
	c.Stderr = &errb
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, out)
	err = c.Wait()
	return n, errb.String(), exitCode(err)
}

// stderrOffset is the number after "at offset " in a message.
func stderrOffset(s string) string {
	_, after, ok := strings.Cut(s, "at offset ")
	if !ok {
		return "?"
	}
	num, _, _ := strings.Cut(after, ":")
	return num
}
