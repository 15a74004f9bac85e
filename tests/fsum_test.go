package tests

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/sink"
	"github.com/fpipe/fpipe/stages/sum"
	"github.com/fpipe/fpipe/tests/internal/e2e"
)

// trickyNames are file names that sum lines must escape, or not.
var trickyNames = []string{
	"plain", "a b", "n\nl", "c\rr", `b\s`, "esc\x1bx", "é", " lead", "*star",
	"tab\tx", "mix\\\n\r", "trail ", "x(y) = z",
}

// oracle runs a command in dir with a UTF-8 locale and returns its stdout,
// stderr and exit status.
func oracle(t *testing.T, dir string, stdin io.Reader, name string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := exitCode(err)
	if err != nil && code == 0 || code < 0 {
		t.Fatalf("%s %q: %v", name, args, err)
	}
	return out.String(), errb.String(), code
}

func trickyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for i, n := range trickyNames {
		if err := os.WriteFile(filepath.Join(dir, n), bytes.Repeat([]byte{byte(i)}, 1000*i+1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fsum FILE... prints what sha256sum, sha512sum, sha1sum, md5sum and b3sum
// print, byte for byte, in every output form.
func TestFsumFormatsMatchOracles(t *testing.T) {
	dir := trickyDir(t)
	for _, tc := range []struct {
		tool, algo string
		forms      [][]string
	}{
		{"sha256sum", "sha256", [][]string{{}, {"--tag"}, {"-z"}, {"-b"}, {"--tag", "-z"}}},
		{"sha512sum", "sha512", [][]string{{}, {"--tag"}, {"-z"}}},
		{"sha1sum", "sha1", [][]string{{}, {"--tag"}, {"-b"}}},
		{"md5sum", "md5", [][]string{{}, {"--tag"}, {"-z", "-b"}}},
		{"b3sum", "blake3", [][]string{{}}},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			e2e.Need(t, tc.tool)
			for _, form := range tc.forms {
				want, _, code := oracle(t, dir, nil, tc.tool, append(form, trickyNames...)...)
				if code != 0 {
					t.Fatalf("%s %v: exit %d", tc.tool, form, code)
				}
				got, stderr, code := oracle(t, dir, nil, bin("fsum"), append(append([]string{"-a", tc.algo}, form...), trickyNames...)...)
				if code != 0 || stderr != "" {
					t.Fatalf("fsum -a %s %v: exit %d, stderr %q", tc.algo, form, code, stderr)
				}
				if got != want {
					t.Errorf("fsum -a %s %v:\n got %q\nwant %q", tc.algo, form, got, want)
				}
			}
		})
	}
}

// checkCase is a sum file for the --check oracle test, made from the lines
// sha256sum printed for trickyDir.
type checkCase struct {
	name string
	make func(lines []string, tagged []string) string
}

var checkCases = []checkCase{
	{"standard", func(l, _ []string) string { return strings.Join(l, "") }},
	{"tagged", func(_, tg []string) string { return strings.Join(tg, "") }},
	{"crlf", func(l, _ []string) string { return strings.ReplaceAll(strings.Join(l, ""), "\n", "\r\n") }},
	{"upper", func(l, _ []string) string {
		var b strings.Builder
		for _, s := range l {
			i := strings.Index(s, "  ")
			b.WriteString(strings.ToUpper(s[:i]) + s[i:])
		}
		return b.String()
	}},
	{"bsd-reversed", func(l, _ []string) string {
		var b strings.Builder
		for _, s := range l {
			b.WriteString(strings.Replace(s, "  ", " ", 1))
		}
		return b.String()
	}},
	{"mixed-forms", func(l, tg []string) string {
		// standard first: the reversed lines after it are malformed
		return l[0] + strings.Replace(l[1], "  ", " ", 1) + tg[2] + " \t" + l[3] + strings.Replace(l[4], "  ", " *", 1)
	}},
	{"comments-blank-garbage", func(l, _ []string) string {
		return "# made by hand\n\n" + l[0] + "garbage\n" + l[1][:10] + "\n" + l[2] + "\n" + "SHA512 (x) = 00\n" +
			strings.Repeat("0", 63) + "  short\n" + l[3]
	}},
	{"missing-and-mismatch", func(l, _ []string) string {
		zero := strings.Repeat("0", 64)
		return l[0] + zero + "  missing file\n" + zero + "  plain\n" + zero + "  missing\n" + l[1] +
			zero + "  \n" + `\` + zero + `  gone\nline` + "\n"
	}},
	{"directory", func(l, _ []string) string { return l[0] + strings.Repeat("0", 64) + "  sub\n" }},
	{"all-missing", func(l, _ []string) string { return strings.Repeat("0", 64) + "  nothere\n" }},
	{"bad-escapes", func(l, _ []string) string {
		return `\` + strings.Repeat("0", 64) + `  a\tb` + "\n" + `\` + strings.Repeat("0", 64) + `  end\` + "\n" + l[0]
	}},
	{"empty", func(_, _ []string) string { return "" }},
	{"comment-only", func(_, _ []string) string { return "# nothing\n\n" }},
	{"no-final-newline", func(l, _ []string) string { return strings.TrimSuffix(strings.Join(l, ""), "\n") }},
}

// fsum -c prints what sha256sum -c prints on stdout, byte for byte, with the
// same exit status and (but for the program's name and strerror's case) the
// same stderr, for every flag and many sum files, ours and coreutils'.
func TestFsumCheckMatchesSha256sum(t *testing.T) {
	e2e.Need(t, "sha256sum")
	dir := trickyDir(t)
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, _, _ := oracle(t, dir, nil, "sha256sum", trickyNames...)
	lines := strings.SplitAfter(out, "\n")
	lines = lines[:len(lines)-1]
	out, _, _ = oracle(t, dir, nil, "sha256sum", append([]string{"--tag"}, trickyNames...)...)
	tagged := strings.SplitAfter(out, "\n")
	tagged = tagged[:len(tagged)-1]
	// A file changed after its sum was taken.
	if err := os.WriteFile(filepath.Join(dir, "a b"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	flagSets := [][]string{{}, {"--quiet"}, {"--status"}, {"--strict"}, {"-w"}, {"--ignore-missing"}, {"--ignore-missing", "--strict", "-w"}}
	for _, cc := range checkCases {
		t.Run(cc.name, func(t *testing.T) {
			file := filepath.Join(dir, cc.name+".sums")
			content := cc.make(lines, tagged)
			if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, flags := range flagSets {
				for _, stdin := range []bool{false, true} {
					args := append([]string{"-c"}, flags...)
					var in io.Reader
					if stdin {
						in = strings.NewReader(content)
					} else {
						args = append(args, cc.name+".sums")
					}
					wout, werr, wcode := oracle(t, dir, in, "sha256sum", args...)
					if stdin {
						in = strings.NewReader(content)
					}
					gout, gerr, gcode := oracle(t, dir, in, bin("fsum"), args...)
					what := fmt.Sprintf("%v (stdin %v)", flags, stdin)
					if gout != wout {
						t.Errorf("%s: stdout\n got %q\nwant %q", what, gout, wout)
					}
					if gcode != wcode {
						t.Errorf("%s: exit %d, want %d", what, gcode, wcode)
					}
					if norm(gerr, "fsum") != norm(werr, "sha256sum") {
						t.Errorf("%s: stderr\n got %q\nwant %q", what, gerr, werr)
					}
				}
			}
		})
	}
}

// norm makes two programs' stderr comparable: the program's name goes, and
// case (Go's errors are lower-case, glibc's strerror capitalised).
func norm(s, prog string) string {
	return strings.ToLower(strings.ReplaceAll(s, prog+": ", "PROG: "))
}

// Lines that fsum writes are accepted by sha256sum -c (and b3sum --check),
// and fsum -c accepts theirs: filter lines with --name, and FILE lines.
func TestFsumLinesAcceptedByOracles(t *testing.T) {
	e2e.Need(t, "sha256sum")
	dir := trickyDir(t)
	for i, n := range trickyNames {
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		sumFile := fmt.Sprintf("filter%d.sha256", i)
		cmd := exec.Command(bin("fsum"), "-o", sumFile, "--name", n)
		var stderr bytes.Buffer
		cmd.Dir, cmd.Stdin, cmd.Stdout, cmd.Stderr = dir, f, io.Discard, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Fatalf("fsum -o --name %q: %v %q", n, err, stderr.String())
		}
		f.Close()
		if out, _, code := oracle(t, dir, nil, "sha256sum", "-c", sumFile); code != 0 || !strings.HasSuffix(out, ": OK\n") {
			t.Errorf("sha256sum -c on fsum's line for %q: exit %d, %q", n, code, out)
		}
	}
	for _, tc := range []struct{ algo, tool string }{
		{"sha256", "sha256sum"}, {"sha512", "sha512sum"}, {"sha1", "sha1sum"}, {"md5", "md5sum"}, {"blake3", "b3sum"},
	} {
		for _, tag := range []bool{false, true} {
			if tag && tc.tool == "b3sum" {
				continue
			}
			t.Run(fmt.Sprintf("%s/tag=%v", tc.tool, tag), func(t *testing.T) {
				e2e.Need(t, tc.tool)
				args := []string{"-a", tc.algo}
				if tag {
					args = append(args, "--tag")
				}
				names := trickyNames
				if tc.tool == "b3sum" {
					// b3sum writes a carriage return as it is: at the end of
					// a name, coreutils-style readers (fsum) take it for a
					// CRLF line end. Documented in man/fsum.1.
					names = nil
					for _, n := range trickyNames {
						if !strings.HasSuffix(n, "\r") {
							names = append(names, n)
						}
					}
				}
				ours, _, _ := oracle(t, dir, nil, bin("fsum"), append(args, names...)...)
				file := filepath.Join(dir, tc.algo+fmt.Sprint(tag)+".sums")
				os.WriteFile(file, []byte(ours), 0o644)
				out, errs, code := oracle(t, dir, nil, tc.tool, "--check", file)
				if code != 0 || strings.Count(out, ": OK\n") != len(names) {
					t.Errorf("%s --check on fsum's lines: exit %d\n%s%s", tc.tool, code, out, errs)
				}
				// and theirs through fsum -c
				theirs, _, _ := oracle(t, dir, nil, tc.tool, append(args[2:], names...)...)
				os.WriteFile(file, []byte(theirs), 0o644)
				out, errs, code = oracle(t, dir, nil, bin("fsum"), "-c", "-a", tc.algo, file)
				if code != 0 || strings.Count(out, ": OK\n") != len(names) {
					t.Errorf("fsum -c -a %s on %s's lines: exit %d\n%s%s", tc.algo, tc.tool, code, out, errs)
				}
				// without -a, the length of an untagged digest names its
				// algorithm (but BLAKE3's is SHA256's)
				if tc.algo != "blake3" {
					out, errs, code = oracle(t, dir, nil, bin("fsum"), "-c", file)
					if code != 0 || strings.Count(out, ": OK\n") != len(names) {
						t.Errorf("fsum -c on %s's lines: exit %d\n%s%s", tc.tool, code, out, errs)
					}
				}
			})
		}
	}
}

// identity is a stand-in for fgz -d in the restore chain: any filter.
func identity(dst io.Writer) (io.WriteCloser, error) { return nopWriteCloser{dst}, nil }

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// expectFrom reads the digest a sum file gives for name, as fsum --verify
// does.
func expectFrom(t *testing.T, path, name string) sum.Sum {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := sum.NewScanner(f, sum.NewParser(sum.SHA256, false))
	for {
		l, err := sc.Next()
		if err != nil {
			t.Fatalf("no line for %s in %s: %v", name, path, err)
		}
		if l.Name == name {
			return sum.Sum{Algorithm: l.Algorithm, Digest: l.Digest}
		}
	}
}

// The restore chain in one process: fsum --verify → a decompressor (any
// filter) → stages/sink. A damaged backup fails the chain at its end,
// before the sink commits: the destination keeps its bytes and inode, and
// no temporary file is left. A good one is restored.
func TestFsumVerifyRestoreOneProcess(t *testing.T) {
	dir := t.TempDir()
	backup := filepath.Join(dir, "backup.gz")
	good := bytes.Repeat([]byte("compressed bytes, or so\n"), 50_000)
	os.WriteFile(backup, good, 0o644)
	// The pair written by fsum in the backup chain.
	cmd := exec.Command(bin("fsum"), "-o", "backup.gz.sha256", "--name", "backup.gz")
	cmd.Dir, cmd.Stdin = dir, bytes.NewReader(good)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fsum -o: %v %s", err, out)
	}
	want := expectFrom(t, filepath.Join(dir, "backup.gz.sha256"), "backup.gz")

	restore := func(t *testing.T, reader bool) error {
		src, err := os.Open(backup)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		dst, err := sink.Create(filepath.Join(dir, "restore.sql"))
		if err != nil {
			t.Fatal(err)
		}
		opts := []sum.Option{sum.Name("backup.gz"), sum.Expect(want)}
		verify := stages.Filter{Name: "fsum --verify", Writer: sum.Filter(opts...).Writer}
		if reader {
			verify = stages.Filter{Name: "fsum --verify", Reader: func(r io.Reader) (io.ReadCloser, error) { return sum.NewReader(r, opts...) }}
		}
		_, err = stages.Run(context.Background(), stages.Chain{
			Source: src, SourceName: "fread",
			Filters:  []stages.Filter{verify, {Name: "fgz -d", Writer: identity}},
			Sink:     dst,
			SinkName: "fsink",
		})
		return err
	}
	for _, reader := range []bool{false, true} {
		t.Run(fmt.Sprintf("reader=%v", reader), func(t *testing.T) {
			old, ino := oldDest(t, dir, "restore.sql")
			// Damage one byte in the middle of the backup.
			damaged := bytes.Clone(good)
			damaged[len(damaged)/2] ^= 1
			os.WriteFile(backup, damaged, 0o644)
			err := restore(t, reader)
			var me *sum.MismatchError
			if !errors.As(err, &me) {
				t.Fatalf("Run = %v, want a *sum.MismatchError", err)
			}
			wantMsg := "fsum --verify: backup.gz: sha256 mismatch: want " + hex.EncodeToString(want.Digest) + ", got "
			if !strings.HasPrefix(err.Error(), wantMsg) {
				t.Errorf("error %q, want it to start with %q", err, wantMsg)
			}
			checkIntact(t, dir, "restore.sql", old, ino)

			os.WriteFile(backup, good, 0o644)
			if err := restore(t, reader); err != nil {
				t.Fatalf("Run with a good backup: %v", err)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "restore.sql")); !bytes.Equal(got, good) {
				t.Error("the restored file is not the backup")
			}
			checkNoTemp(t, dir)
		})
	}
}
