package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/relay"
	"github.com/fpipe/fpipe/cmd/internal/tools/fread"
	"github.com/fpipe/fpipe/cmd/internal/tools/fsink"
	"github.com/fpipe/fpipe/stages"
	"github.com/spf13/pflag"
)

// run runs tool through cli.Main and returns its exit status and output.
func run(t *testing.T, tool *cli.Tool, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Main(tool, args, stdin, &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMainHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tool      *cli.Tool
		arg       string
		want      []string
		sizeHelp  bool
		wantFlags []string
	}{
		{fread.Tool, "--help", []string{"Usage: fread [flags] [FILE...]\n", fread.Tool.Summary}, true,
			[]string{"--offset SIZE", "--length SIZE", "--nocache", "-h, --help", "--version"}},
		{fread.Tool, "-h", []string{"Usage: fread [flags] [FILE...]\n"}, true, nil},
		{fsink.Tool, "--help", []string{"Usage: fsink [flags] PATH\n", fsink.Tool.Summary}, true,
			[]string{"--no-sync", "-n, --no-clobber", "-a, --append", "--mode", "--allow-empty", "--follow"}},
		// --help wins over operands that would be a usage error.
		{fsink.Tool, "--help", []string{"Usage: fsink"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.tool.Name+" "+tt.arg, func(t *testing.T) {
			t.Parallel()
			args := []string{tt.arg}
			code, out, errOut := run(t, tt.tool, nil, args...)
			if code != cli.ExitOK || errOut != "" {
				t.Fatalf("Main(%s %s) = %d with stderr %q, want 0 and no stderr", tt.tool.Name, tt.arg, code, errOut)
			}
			if !strings.HasPrefix(out, tt.want[0]) {
				t.Errorf("Main(%s %s) stdout starts %q, want %q", tt.tool.Name, tt.arg, firstLine(out), tt.want[0])
			}
			for _, w := range append(tt.want[1:], tt.wantFlags...) {
				if !strings.Contains(out, w) {
					t.Errorf("Main(%s %s) stdout lacks %q:\n%s", tt.tool.Name, tt.arg, w, out)
				}
			}
			if got := strings.Contains(out, cli.SizeHelp); got != tt.sizeHelp {
				t.Errorf("Main(%s %s) stdout has the SIZE help: %v, want %v", tt.tool.Name, tt.arg, got, tt.sizeHelp)
			}
			if d := strings.TrimSpace(tt.tool.Details); !strings.Contains(out, d) {
				t.Errorf("Main(%s %s) stdout lacks the details", tt.tool.Name, tt.arg)
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestMainVersion(t *testing.T) {
	t.Parallel()
	for _, tool := range []*cli.Tool{fread.Tool, fsink.Tool} {
		code, out, errOut := run(t, tool, nil, "--version")
		want := tool.Name + " (fpipe) " + cli.Version() + "\n"
		if code != cli.ExitOK || out != want || errOut != "" {
			t.Errorf("Main(%s --version) = %d, %q, %q, want 0, %q, \"\"", tool.Name, code, out, errOut, want)
		}
	}
	if cli.Version() == "" {
		t.Errorf("Version() = \"\", want a version or (devel)")
	}
}

func TestMainUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tool *cli.Tool
		args []string
		want string // the first line of stderr
	}{
		{"unknown long flag", fread.Tool, []string{"--x"}, "fread: unknown flag: --x"},
		{"unknown short flag", fread.Tool, []string{"-q"}, "fread: unknown shorthand flag: 'q' in -q"},
		{"bad unit", fread.Tool, []string{"--offset", "1X"}, `fread: invalid argument "1X" for "--offset" flag: unknown unit "X" (use K, M, G, T, P, KiB…, or KB, MB…)`},
		{"negative", fread.Tool, []string{"--length=-1"}, `fread: invalid argument "-1" for "--length" flag: negative size`},
		{"fraction of a byte", fread.Tool, []string{"--length=1.5"}, `fread: invalid argument "1.5" for "--length" flag: 1.5 is not a whole number of bytes`},
		{"overflow", fread.Tool, []string{"--offset=8192P"}, `fread: invalid argument "8192P" for "--offset" flag: 8192P is too large`},
		{"empty size", fread.Tool, []string{"--offset="}, `fread: invalid argument "" for "--offset" flag: empty size`},
		{"missing value", fread.Tool, []string{"--length"}, "fread: flag needs an argument: --length"},
		{"no operand", fsink.Tool, nil, "fsink: expected one PATH, got 0"},
		{"two operands", fsink.Tool, []string{"a", "b"}, "fsink: expected one PATH, got 2"},
		{"bad mode", fsink.Tool, []string{"--mode", "999", "out"}, `fsink: invalid argument "999" for "--mode" flag: not an octal mode`},
		{"mode too large", fsink.Tool, []string{"--mode=17777", "out"}, `fsink: invalid argument "17777" for "--mode" flag: not an octal mode`},
		{"unknown flag fsink", fsink.Tool, []string{"--sync", "out"}, "fsink: unknown flag: --sync"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, tt.tool, strings.NewReader("data"), tt.args...)
			want := tt.want + "\nTry '" + tt.tool.Name + " --help' for more information.\n"
			if code != cli.ExitUsage || out != "" || errOut != want {
				t.Errorf("Main(%s %q) = %d, stdout %q, stderr %q, want 2, \"\", %q", tt.tool.Name, tt.args, code, out, errOut, want)
			}
		})
	}
}

// TestMainFread runs fread in a folder of its own, so that messages name
// files as the user typed them (t.Chdir: not parallel).
func TestMainFread(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, "a", "alpha\n")
	writeFile(t, "b", "bravo\n")
	writeFile(t, "empty", "")
	if err := os.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantOut    string
		wantStderr string
	}{
		{"two files", []string{"a", "b"}, "", 0, "alpha\nbravo\n", ""},
		{"no operand is stdin", nil, "in\n", 0, "in\n", ""},
		{"dash is stdin", []string{"a", "-", "b"}, "in\n", 0, "alpha\nin\nbravo\n", ""},
		{"empty file", []string{"empty", "a", "empty"}, "", 0, "alpha\n", ""},
		{"missing file", []string{"a", "nope", "b"}, "", 1, "alpha\nbravo\n", "fread: nope: no such file or directory\n"},
		{"only a missing file", []string{"nope"}, "", 1, "", "fread: nope: no such file or directory\n"},
		{"two missing files", []string{"nope1", "a", "nope2"}, "", 1, "alpha\n",
			"fread: nope1: no such file or directory\nfread: nope2: no such file or directory\n"},
		{"directory", []string{"a", "d", "b"}, "", 1, "alpha\nbravo\n", "fread: d: is a directory\n"},
		{"offset and length", []string{"--offset", "3", "--length", "5", "a", "b"}, "", 0, "ha\nbr", ""},
		{"offset into the second file", []string{"--offset=8", "a", "b"}, "", 0, "avo\n", ""},
		{"offset past the end", []string{"--offset", "1K", "a", "b"}, "", 0, "", ""},
		{"length 0", []string{"--length", "0", "a"}, "", 0, "", ""},
		{"offset on stdin", []string{"--offset=2"}, "0123456789", 0, "23456789", ""},
		{"nocache", []string{"--nocache", "a", "b"}, "", 0, "alpha\nbravo\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, fread.Tool, strings.NewReader(tt.stdin), tt.args...)
			if code != tt.wantCode || out != tt.wantOut || errOut != tt.wantStderr {
				t.Errorf("Main(fread %q) = %d, stdout %q, stderr %q, want %d, %q, %q",
					tt.args, code, out, errOut, tt.wantCode, tt.wantOut, tt.wantStderr)
			}
		})
	}

	t.Run("input file is output file", func(t *testing.T) {
		writeFile(t, "out", "old\n")
		out, err := os.OpenFile("out", os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		var errOut bytes.Buffer
		code := cli.Main(fread.Tool, []string{"a", "out", "b"}, nil, out, &errOut)
		want := "fread: out: input file is output file\n"
		if code != 1 || errOut.String() != want {
			t.Errorf("Main(fread a out b > out) = %d, %q, want 1, %q", code, errOut.String(), want)
		}
		if got, _ := os.ReadFile("out"); string(got) != "old\nalpha\nbravo\n" {
			t.Errorf("out = %q, want %q", got, "old\nalpha\nbravo\n")
		}
	})
}

// TestMainWriteError checks what fread says when standard output fails:
// "write error: why", as cat says it.
func TestMainWriteError(t *testing.T) {
	t.Parallel()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	fd, err := syscall.Dup(int(full.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.NewFile(uintptr(fd), "/dev/stdout")
	defer stdout.Close()
	in := filepath.Join(t.TempDir(), "in")
	writeFile(t, in, strings.Repeat("x", 100<<10))
	for _, args := range [][]string{{in}, nil} {
		var errOut bytes.Buffer
		code := cli.Main(fread.Tool, args, strings.NewReader("from stdin"), stdout, &errOut)
		want := "fread: write error: no space left on device\n"
		if code != cli.ExitFailure || errOut.String() != want {
			t.Errorf("Main(fread %q > /dev/full) = %d, %q, want 1, %q", args, code, errOut.String(), want)
		}
	}
}

func TestMainFsink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")

	code, stdout, errOut := run(t, fsink.Tool, strings.NewReader("first\n"), out)
	if code != 0 || stdout != "" || errOut != "" {
		t.Fatalf("Main(fsink out) = %d, %q, %q, want 0, \"\", \"\"", code, stdout, errOut)
	}
	if got, _ := os.ReadFile(out); string(got) != "first\n" {
		t.Errorf("out = %q, want %q", got, "first\n")
	}

	// An upstream that fails halfway: nothing committed, no temp left.
	boom := errors.New("upstream broke")
	stdin := io.MultiReader(strings.NewReader("second"), iotest.ErrReader(boom))
	code, _, errOut = run(t, fsink.Tool, stdin, out)
	if code != cli.ExitFailure || !strings.HasPrefix(errOut, "fsink: ") || !strings.Contains(errOut, "upstream broke") {
		t.Errorf("Main(fsink out) with a failing input = %d, %q, want 1 and the upstream's error", code, errOut)
	}
	if got, _ := os.ReadFile(out); string(got) != "first\n" {
		t.Errorf("out after a failed run = %q, want %q", got, "first\n")
	}
	noTemp(t, dir)

	// An empty input never replaces a non-empty file by default.
	code, _, errOut = run(t, fsink.Tool, strings.NewReader(""), out)
	want := "fsink: " + out + ": empty input would replace a non-empty file (use --allow-empty to allow it)\n"
	if code != cli.ExitFailure || errOut != want {
		t.Errorf("Main(fsink out) with empty input = %d, %q, want 1, %q", code, errOut, want)
	}
	code, _, errOut = run(t, fsink.Tool, strings.NewReader(""), "--allow-empty", out)
	if code != 0 || errOut != "" {
		t.Errorf("Main(fsink --allow-empty out) = %d, %q, want 0, \"\"", code, errOut)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() != 0 {
		t.Errorf("out after --allow-empty: %v, %v, want an empty file", fi, err)
	}

	// --no-clobber.
	code, _, errOut = run(t, fsink.Tool, strings.NewReader("x"), "-n", out)
	want = "fsink: " + out + ": file exists\n"
	if code != cli.ExitFailure || errOut != want {
		t.Errorf("Main(fsink -n out) = %d, %q, want 1, %q", code, errOut, want)
	}

	// --mode and --append.
	newFile := filepath.Join(dir, "new")
	if code, _, errOut = run(t, fsink.Tool, strings.NewReader("a"), "--mode", "600", newFile); code != 0 {
		t.Fatalf("Main(fsink --mode 600 new) = %d, %q, want 0", code, errOut)
	}
	if code, _, errOut = run(t, fsink.Tool, strings.NewReader("b"), "--append", "--no-sync", newFile); code != 0 {
		t.Fatalf("Main(fsink --append new) = %d, %q, want 0", code, errOut)
	}
	if fi, err := os.Stat(newFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("Stat(new) = %v, %v, want mode 0600", fi, err)
	}
	if got, _ := os.ReadFile(newFile); string(got) != "ab" {
		t.Errorf("new = %q, want %q", got, "ab")
	}

	// A missing folder fails before any input is read.
	missing := filepath.Join(dir, "nodir", "out")
	input := strings.NewReader("never read")
	code, _, errOut = run(t, fsink.Tool, input, missing)
	want = "fsink: " + missing + ": cannot create a temporary file in " + filepath.Dir(missing) + ": no such file or directory\n"
	if code != cli.ExitFailure || errOut != want {
		t.Errorf("Main(fsink nodir/out) = %d, %q, want 1, %q", code, errOut, want)
	}
	if input.Len() != len("never read") {
		t.Errorf("fsink read %d bytes of its input before failing, want 0", len("never read")-input.Len())
	}

	// A refused destination.
	code, _, errOut = run(t, fsink.Tool, strings.NewReader("x"), dir)
	want = "fsink: " + dir + ": is a directory\n"
	if code != cli.ExitFailure || errOut != want {
		t.Errorf("Main(fsink DIR) = %d, %q, want 1, %q", code, errOut, want)
	}

	// "-" is standard output.
	code, stdout, errOut = run(t, fsink.Tool, strings.NewReader("to stdout"), "-")
	if code != 0 || stdout != "to stdout" || errOut != "" {
		t.Errorf("Main(fsink -) = %d, %q, %q, want 0, %q, \"\"", code, stdout, errOut, "to stdout")
	}
	noTemp(t, dir)
}

// noTemp fails if dir holds a temporary file of fsink.
func noTemp(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".fsink-tmp") {
			t.Errorf("temporary file %s left in %s", e.Name(), dir)
		}
	}
}

func TestMessage(t *testing.T) {
	t.Parallel()
	pe := &fs.PathError{Op: "open", Path: "nope", Err: syscall.ENOENT}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"path error", pe, "nope: no such file or directory"},
		{"write to stdout", &fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}, "write error: broken pipe"},
		{"full stdout", &fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}, "write error: no space left on device"},
		{"read from stdin", &fs.PathError{Op: "read", Path: "/dev/stdin", Err: syscall.EIO}, "read error: input/output error"},
		{"stage error", &stages.Error{Stage: "fgz -d", Err: errors.New("unexpected end of gzip data")}, "fgz -d: unexpected end of gzip data"},
		{"stage error with a path", &stages.Error{Stage: "fsink", Err: pe}, "fsink: nope: no such file or directory"},
		{"stage error with stdout", &stages.Error{Stage: "fgz", Err: &fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}}, "fgz: write error: broken pipe"},
		{"wrapped path error", fmt.Errorf("checking: %w", pe), "checking: open nope: no such file or directory"},
		{"usage error", cli.Usagef("expected one PATH, got %d", 0), "expected one PATH, got 0"},
		{"newline in a path", &fs.PathError{Op: "open", Path: "a\nfsink: forged", Err: syscall.ENOENT}, `'a'$'\n''fsink: forged': no such file or directory`},
		{"escape in a path", &fs.PathError{Op: "open", Path: "x\x1b[2J", Err: syscall.ENOENT}, `'x'$'\033''[2J': no such file or directory`},
		{"newline in other text", errors.New("bad\nline\r"), `bad\nline\r`},
		{"stage error with a newline", &stages.Error{Stage: "fsink", Err: &fs.PathError{Op: "open", Path: "a\nb", Err: syscall.ENOENT}}, `fsink: 'a'$'\n''b': no such file or directory`},
		{"upstream", &cli.UpstreamError{Why: "fread: x: no such file or directory"}, "the stage before failed: fread: x: no such file or directory"},
		{"upstream without a note", &cli.UpstreamError{}, "the stage before ended without saying it succeeded (it was killed, or could not say why it failed)"},
		{"plain", errors.New("boom"), "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cli.Message(tt.err); got != tt.want {
				t.Errorf("Message(%#v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestUsagef(t *testing.T) {
	t.Parallel()
	err := cli.Usagef("bad %s", "thing")
	var ue *cli.UsageError
	if !errors.As(err, &ue) || err.Error() != "bad thing" {
		t.Errorf("Usagef(bad %%s, thing) = %v (%T), want a *UsageError reading %q", err, err, "bad thing")
	}
	inner := errors.New("inner")
	if err := (&cli.UsageError{Err: inner}); !errors.Is(err, inner) {
		t.Errorf("errors.Is(UsageError{inner}, inner) = false, want true")
	}
}

func TestEnvWarn(t *testing.T) {
	t.Parallel()
	var errOut bytes.Buffer
	env := &cli.Env{Stderr: &errOut, Tool: "fread"}
	if env.Warned() {
		t.Errorf("Warned() = true before any Warn, want false")
	}
	env.Warn(&fs.PathError{Op: "open", Path: "nope", Err: syscall.ENOENT})
	env.Warn(errors.New("second"))
	want := "fread: nope: no such file or directory\nfread: second\n"
	if errOut.String() != want || !env.Warned() {
		t.Errorf("after two Warns: stderr %q, Warned() = %v, want %q, true", errOut.String(), env.Warned(), want)
	}
}

// TestMainReported checks the exit statuses of a stage's outcomes with a
// tool defined here: Reported errors print nothing more, others one line.
func TestMainReported(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		job        func(env *cli.Env) error
		wantCode   int
		wantStderr string
	}{
		{"ok", func(*cli.Env) error { return nil }, 0, ""},
		{"error", func(*cli.Env) error { return errors.New("broke") }, 1, "ftest: broke\n"},
		{"reported", func(*cli.Env) error { return cli.ErrReported }, 1, ""},
		{"wrapped reported", func(*cli.Env) error { return fmt.Errorf("x: %w", cli.ErrReported) }, 1, ""},
		{"warned", func(env *cli.Env) error { env.Warn(errors.New("careful")); return nil }, 1, "ftest: careful\n"},
		{"stage error", func(*cli.Env) error {
			return &stages.Error{Stage: "fgz", Err: &fs.PathError{Op: "read", Path: "in.gz", Err: syscall.EIO}}
		}, 1, "ftest: fgz: in.gz: input/output error\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tool := &cli.Tool{Name: "ftest", Usage: "", Summary: "test", Define: func(*pflag.FlagSet) cli.Build {
				return func(args []string, env *cli.Env) (*cli.Stage, error) {
					return &cli.Stage{Job: func(context.Context) error { return tt.job(env) }}, nil
				}
			}}
			code, _, errOut := run(t, tool, nil)
			if code != tt.wantCode || errOut != tt.wantStderr {
				t.Errorf("Main(ftest) = %d, %q, want %d, %q", code, errOut, tt.wantCode, tt.wantStderr)
			}
		})
	}
}

func TestSignals(t *testing.T) {
	t.Parallel()
	sigs := cli.Signals()
	if len(sigs) == 0 || sigs[0] != syscall.SIGTERM {
		t.Errorf("Signals() = %v, want SIGTERM first", sigs)
	}
	for _, s := range []syscall.Signal{syscall.SIGQUIT, syscall.SIGABRT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGXCPU, syscall.Signal(35), syscall.Signal(64)} {
		if !slices.Contains(sigs, os.Signal(s)) {
			t.Errorf("Signals() lacks %v", s)
		}
	}
	for _, s := range []syscall.Signal{syscall.SIGPIPE, syscall.SIGKILL, syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGURG, syscall.SIGCHLD, syscall.SIGWINCH, syscall.SIGPROF, syscall.Signal(34)} {
		if slices.Contains(sigs, os.Signal(s)) {
			t.Errorf("Signals() has %v, want it left to its default", s)
		}
	}
	for s, want := range map[syscall.Signal]string{
		syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP",
	} {
		if got := cli.SignalName(s); got != want {
			t.Errorf("SignalName(%d) = %q, want %q", s, got, want)
		}
	}
	if got := cli.SignalName(syscall.SIGUSR1); got == "" {
		t.Errorf("SignalName(SIGUSR1) = \"\", want a name")
	}
}

// TestMainRelay: fsink reading a pipe whose writer of ours did not end
// cleanly (the pipe still marked running at its end) fails, commits
// nothing, and says so even without a note.
func TestMainRelay(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := relay.Begin(w); err != nil {
		t.Skipf("cannot mark a pipe here: %v", err)
	}
	w.Write([]byte("partial"))
	w.Close()
	var errOut bytes.Buffer
	code := cli.Main(fsink.Tool, []string{out}, r, io.Discard, &errOut)
	want := "fsink: the stage before ended without saying it succeeded (it was killed, or could not say why it failed)\n"
	if code != 1 || errOut.String() != want {
		t.Errorf("Main(fsink) after a writer that did not end = %d, %q, want 1, %q", code, errOut.String(), want)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("fsink committed out")
	}
	noTemp(t, dir)
}

// TestMainSignal: a caught signal stops the run on the main path: Main
// returns 128+signal, with the temporary file removed.
func TestMainSignal(t *testing.T) {
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	w.Write([]byte("some data"))
	go func() {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if m, _ := filepath.Glob(filepath.Join(dir, ".*.fsink-tmp")); len(m) > 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	}()
	var errOut bytes.Buffer
	code := cli.Main(fsink.Tool, []string{filepath.Join(dir, "out")}, r, io.Discard, &errOut)
	if code != 128+int(syscall.SIGUSR1) || errOut.String() != "fsink: SIGUSR1: stopped, nothing committed\n" {
		t.Errorf("Main(fsink) with SIGUSR1 = %d, %q, want %d and the signal's line", code, errOut.String(), 128+int(syscall.SIGUSR1))
	}
	noTemp(t, dir)
}
