package compfiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/fpipe/fpipe/stages"
)

// codec is a gzip codec from the standard library; hook, when set, runs
// at the first write of compressed data (to act on the input mid-read).
func codec(hook func()) *Codec {
	return &Codec{
		Tool:    "fgz",
		Aliases: map[string]string{".tgz": ".tar"},
		Compress: stages.Filter{Writer: func(dst io.Writer) (io.WriteCloser, error) {
			return &hooked{WriteCloser: gzip.NewWriter(dst), hook: hook}, nil
		}},
		Decompress: func(name string) stages.Filter {
			return stages.Filter{Reader: func(src io.Reader) (io.ReadCloser, error) {
				return &lazyGunzip{src: src}, nil
			}}
		},
	}
}

// lazyGunzip reads the gzip header at the first Read, not in the
// constructor (which runs before the input flows).
type lazyGunzip struct {
	src io.Reader
	zr  *gzip.Reader
}

func (l *lazyGunzip) Read(p []byte) (int, error) {
	if l.zr == nil {
		zr, err := gzip.NewReader(l.src)
		if err != nil {
			return 0, err
		}
		l.zr = zr
	}
	return l.zr.Read(p)
}

func (l *lazyGunzip) Close() error { return nil }

type hooked struct {
	io.WriteCloser
	hook func()
	once sync.Once
}

func (h *hooked) Write(p []byte) (int, error) {
	if h.hook != nil {
		h.once.Do(h.hook)
	}
	return h.WriteCloser.Write(p)
}

type result struct {
	err            error
	stdout, stderr string
}

// runJob runs the file mode over names and returns what it said.
func runJob(t *testing.T, c *Codec, o Options, names ...string) result {
	t.Helper()
	if o.Suffix == "" {
		o.Suffix = ".gz"
	}
	var stdout, stderr bytes.Buffer
	env := &cli.Env{Ctx: context.Background(), Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Tool: "fgz"}
	st, err := Stage(c, o, names, env)
	if err != nil {
		t.Fatalf("Stage(%v) = %v", names, err)
	}
	err = st.Job(context.Background())
	return result{err, stdout.String(), stderr.String()}
}

func write(t *testing.T, path, content string, mode os.FileMode, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b)
}

func gzipped(t *testing.T, content string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(content))
	w.Close()
	return b.Bytes()
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

var mtime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// TestCompressDecompress: FILE becomes FILE.gz with FILE's mode and times,
// FILE is removed only after; -d takes it back; -k keeps it; .tgz gives .tar.
func TestCompressDecompress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	write(t, a, "hello, world\n", 0o640, mtime)
	r := runJob(t, codec(nil), Options{Remove: true}, a)
	if r.err != nil || r.stderr != "" || r.stdout != "" {
		t.Fatalf("compress: %v, stderr %q, stdout %q", r.err, r.stderr, r.stdout)
	}
	if exists(a) {
		t.Errorf("compress: %s still there", a)
	}
	if got := gunzip(t, a+".gz"); got != "hello, world\n" {
		t.Errorf("compress: %s holds %q", a+".gz", got)
	}
	checkAttrs(t, a+".gz", 0o640, mtime)
	stagetest.CheckNoTemp(t, dir)

	r = runJob(t, codec(nil), Options{Decompress: true, Remove: false}, a+".gz")
	if r.err != nil || r.stderr != "" {
		t.Fatalf("decompress -k: %v, stderr %q", r.err, r.stderr)
	}
	if b, _ := os.ReadFile(a); string(b) != "hello, world\n" || !exists(a+".gz") {
		t.Errorf("decompress -k: %s holds %q; %s kept: %v", a, b, a+".gz", exists(a+".gz"))
	}
	checkAttrs(t, a, 0o640, mtime)

	tgz := filepath.Join(dir, "b.tgz")
	write(t, tgz, string(gzipped(t, "tar")), 0o600, mtime)
	r = runJob(t, codec(nil), Options{Decompress: true, Remove: true}, tgz)
	if b, _ := os.ReadFile(filepath.Join(dir, "b.tar")); r.err != nil || string(b) != "tar" || exists(tgz) {
		t.Errorf("-d b.tgz: %v %q, b.tar holds %q", r.err, r.stderr, b)
	}
}

func checkAttrs(t *testing.T, path string, mode os.FileMode, mtime time.Time) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != mode || !fi.ModTime().Equal(mtime) {
		t.Errorf("%s: mode %v, mtime %v; want %v, %v", path, fi.Mode().Perm(), fi.ModTime(), mode, mtime)
	}
}

// TestRefusals: each FILE that gzip would not touch is refused with its
// message, the others are done, and the run fails; -q drops the lines but
// not the failure.
func TestRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	write(t, p("ok"), "ok", 0o644, mtime)
	write(t, p("has.gz"), "x", 0o644, mtime)
	write(t, p("x.tgz"), "x", 0o644, mtime)
	write(t, p("exists"), "new", 0o644, mtime)
	write(t, p("exists.gz"), "old", 0o644, mtime)
	write(t, p("linked"), "l", 0o644, mtime)
	os.Link(p("linked"), p("linked2"))
	os.Mkdir(p("dir"), 0o755)
	os.Symlink("ok", p("sym"))
	syscall.Mkfifo(p("fifo"), 0o644)
	write(t, p("out"), "o", 0o644, mtime)
	os.Symlink("elsewhere", p("out.gz"))
	names := []string{p("has.gz"), p("x.tgz"), p("exists"), p("linked"), p("dir"), p("sym"), p("fifo"), p("missing"), p("out"), p("ok"), dir + "/", "", p("new\nline")}
	r := runJob(t, codec(nil), Options{Remove: true}, names...)
	if !errors.Is(r.err, cli.ErrReported) {
		t.Errorf("err = %v, want ErrReported", r.err)
	}
	want := []string{
		"fgz: " + p("has.gz") + ": already has .gz suffix -- unchanged",
		"fgz: " + p("x.tgz") + ": already has .tgz suffix -- unchanged",
		"fgz: " + p("exists.gz") + ": already exists; not overwritten",
		"fgz: " + p("linked") + ": has 1 other link -- ignored (-f takes it)",
		"fgz: " + p("dir") + ": is a directory -- ignored",
		"fgz: " + p("sym") + ": is a symbolic link -- ignored (-f follows it)",
		"fgz: " + p("fifo") + ": is not a directory or a regular file -- ignored",
		"fgz: " + p("missing") + ": no such file or directory",
		"fgz: " + p("out.gz") + ": already exists; not overwritten",
		"fgz: " + dir + "/: is a directory -- ignored",
		"fgz: : no such file or directory",
		"fgz: '" + p("new") + "'$'\\n''line': no such file or directory",
	}
	if got := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, strings.Join(want, "\n"))
	}
	if gunzip(t, p("ok.gz")) != "ok" || exists(p("ok")) {
		t.Errorf("ok was not compressed after the refusals")
	}
	for _, n := range []string{"has.gz", "x.tgz", "exists", "linked", "linked2", "out", "sym", "fifo"} {
		if !exists(p(n)) {
			t.Errorf("%s was removed", n)
		}
	}
	if b, _ := os.ReadFile(p("exists.gz")); string(b) != "old" {
		t.Errorf("exists.gz was replaced without -f")
	}
	if l, _ := os.Readlink(p("out.gz")); l != "elsewhere" || exists(p("elsewhere")) {
		t.Errorf("the link out.gz was replaced or written through")
	}
	stagetest.CheckNoTemp(t, dir)

	// -q: no line, still a failure.
	r = runJob(t, codec(nil), Options{Remove: true, Quiet: true}, p("has.gz"), p("dir"))
	if r.stderr != "" || !errors.Is(r.err, cli.ErrReported) {
		t.Errorf("-q: stderr %q, err %v; want nothing and ErrReported", r.stderr, r.err)
	}
	// -d: a name without the suffix.
	r = runJob(t, codec(nil), Options{Decompress: true, Remove: true}, p("ok"), p(".gz"))
	want = []string{"fgz: " + p("ok") + ": unknown suffix -- ignored", "fgz: " + p(".gz") + ": unknown suffix -- ignored"}
	if r.stderr != strings.Join(want, "\n")+"\n" || !errors.Is(r.err, cli.ErrReported) {
		t.Errorf("-d: stderr %q, err %v", r.stderr, r.err)
	}
}

// TestForce: -f replaces an existing output (with FILE's mode, not the
// old output's), follows a link (the link is removed, its target kept) and
// takes a file with other links.
func TestForce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	write(t, p("a"), "new", 0o600, mtime)
	write(t, p("a.gz"), "old", 0o644, mtime)
	write(t, p("target"), "t", 0o644, mtime)
	os.Symlink("target", p("sym"))
	write(t, p("linked"), "l", 0o644, mtime)
	os.Link(p("linked"), p("linked2"))
	write(t, p("out"), "o", 0o644, mtime)
	os.Symlink("elsewhere", p("out.gz"))
	r := runJob(t, codec(nil), Options{Remove: true, Force: true}, p("a"), p("sym"), p("linked"), p("out"))
	if want := "fgz: " + p("out.gz") + ": is a symbolic link; not replaced\n"; r.stderr != want {
		t.Fatalf("-f: %v %q, want %q", r.err, r.stderr, want)
	}
	if l, _ := os.Readlink(p("out.gz")); l != "elsewhere" || exists(p("elsewhere")) || !exists(p("out")) {
		t.Errorf("-f: the link out.gz was replaced or written through, or out removed")
	}
	if gunzip(t, p("a.gz")) != "new" || gunzip(t, p("sym.gz")) != "t" || gunzip(t, p("linked.gz")) != "l" {
		t.Errorf("-f: wrong outputs")
	}
	checkAttrs(t, p("a.gz"), 0o600, mtime)
	if exists(p("sym")) || !exists(p("target")) || exists(p("linked")) || !exists(p("linked2")) {
		t.Errorf("-f: sym %v target %v linked %v linked2 %v; want false true false true",
			exists(p("sym")), exists(p("target")), exists(p("linked")), exists(p("linked2")))
	}
}

// TestFailureKeepsInput: corrupt and truncated data on -d leave no output
// and keep the input; the files after it are done; exit 1.
func TestFailureKeepsInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	good := gzipped(t, strings.Repeat("data ", 1000))
	write(t, p("cut.gz"), string(good[:len(good)-5]), 0o644, mtime)
	write(t, p("junk.gz"), "not gzip at all", 0o644, mtime)
	write(t, p("good.gz"), string(good), 0o644, mtime)
	r := runJob(t, codec(nil), Options{Decompress: true, Remove: true}, p("cut.gz"), p("junk.gz"), p("good.gz"))
	if !errors.Is(r.err, cli.ErrReported) {
		t.Errorf("err = %v, want ErrReported", r.err)
	}
	for _, re := range []string{"(?m)^fgz: " + regexp.QuoteMeta(p("cut.gz")) + ": unexpected EOF$", "(?m)^fgz: " + regexp.QuoteMeta(p("junk.gz")) + ": gzip: invalid header$"} {
		if !regexp.MustCompile(re).MatchString(r.stderr) {
			t.Errorf("stderr %q lacks %s", r.stderr, re)
		}
	}
	if exists(p("cut")) || exists(p("junk")) || !exists(p("cut.gz")) || !exists(p("junk.gz")) {
		t.Errorf("a failed -d left an output or removed its input")
	}
	if b, _ := os.ReadFile(p("good")); len(b) != 5000 || exists(p("good.gz")) {
		t.Errorf("good.gz was not decompressed after the failures")
	}
	stagetest.CheckNoTemp(t, dir)
}

// TestReplacedWhileRead: a file put at FILE's name while FILE is read is
// not removed (the output of what was read is kept); a FILE written to
// while it is read gets no output and is kept.
func TestReplacedWhileRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	write(t, a, "first", 0o644, mtime)
	r := runJob(t, codec(func() {
		os.Rename(a, a+".moved")
		os.WriteFile(a, []byte("someone else's"), 0o644)
	}), Options{Remove: true}, a)
	if want := "fgz: " + a + ": replaced while being read; the new file is kept\n"; r.stderr != want || !errors.Is(r.err, cli.ErrReported) {
		t.Errorf("replaced: stderr %q, err %v; want %q", r.stderr, r.err, want)
	}
	if b, _ := os.ReadFile(a); string(b) != "someone else's" || gunzip(t, a+".gz") != "first" {
		t.Errorf("replaced: %s holds %q", a, b)
	}

	b := filepath.Join(dir, "b")
	write(t, b, "before", 0o644, mtime)
	r = runJob(t, codec(func() {
		f, _ := os.OpenFile(b, os.O_WRONLY|os.O_APPEND, 0)
		f.WriteString(" and after")
		f.Close()
	}), Options{Remove: true}, b)
	if want := "fgz: " + b + ": file changed as it was read; no output written, file kept\n"; r.stderr != want {
		t.Errorf("changed: stderr %q, want %q", r.stderr, want)
	}
	if c, _ := os.ReadFile(b); string(c) != "before and after" || exists(b+".gz") {
		t.Errorf("changed: %s holds %q; output exists %v", b, c, exists(b+".gz"))
	}
	stagetest.CheckNoTemp(t, dir)
}

// TestTwice: the same FILE twice, and FILE with FILE.gz, never lose data.
func TestTwice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	write(t, a, "x", 0o644, mtime)
	r := runJob(t, codec(nil), Options{Remove: true}, a, a, a+".gz")
	want := "fgz: " + a + ": no such file or directory\nfgz: " + a + ".gz: already has .gz suffix -- unchanged\n"
	if r.stderr != want || gunzip(t, a+".gz") != "x" {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
	r = runJob(t, codec(nil), Options{Decompress: true, Remove: true, Force: true}, a+".gz", a+".gz")
	if b, _ := os.ReadFile(a); string(b) != "x" || r.stderr != "fgz: "+a+".gz: no such file or directory\n" {
		t.Errorf("-d twice: %s holds %q; stderr %q", a, b, r.stderr)
	}
}

// TestStdoutAndTest: -c writes every output to stdout and keeps the
// files; -t writes nothing and keeps them; -v says so per file.
func TestStdoutAndTest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	write(t, a, "aa", 0o644, mtime)
	write(t, b, "bb", 0o644, mtime)
	r := runJob(t, codec(nil), Options{Stdout: true, Remove: true, Verbose: true}, a, b)
	if r.err != nil || !exists(a) || !exists(b) || exists(a+".gz") {
		t.Fatalf("-c: %v %q", r.err, r.stderr)
	}
	zr, _ := gzip.NewReader(strings.NewReader(r.stdout))
	if got, _ := io.ReadAll(zr); string(got) != "aabb" {
		t.Errorf("-c: stdout decompresses to %q, want aabb", got)
	}
	line := regexp.MustCompile(`^` + regexp.QuoteMeta(a) + `:\t-?[ 0-9]+\.\d% -- written to stdout, \d+\.\d MB/s\n`)
	if !line.MatchString(r.stderr) {
		t.Errorf("-cv: stderr %q", r.stderr)
	}
	write(t, a+".gz", string(gzipped(t, "aa")), 0o644, mtime)
	r = runJob(t, codec(nil), Options{Test: true, Remove: true, Verbose: true}, a+".gz")
	if r.err != nil || r.stdout != "" || !exists(a+".gz") || exists(a) && false {
		t.Errorf("-t: %v, stdout %q", r.err, r.stdout)
	}
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(a) + `\.gz:\t OK, \d+\.\d MB/s\n$`).MatchString(r.stderr) {
		t.Errorf("-tv: stderr %q", r.stderr)
	}
}

// TestUndo: a signal's Undo during a file aborts its output: no temporary
// file, no output, the original in place.
func TestUndo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	write(t, a, strings.Repeat("x", 100000), 0o644, mtime)
	var st *cli.Stage
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := codec(func() {
		st.Undo[0]() // what cli does on a signal: undo, then the context ends
		cancel()
	})
	var stderr bytes.Buffer
	env := &cli.Env{Ctx: ctx, Stdout: io.Discard, Stderr: &stderr, Tool: "fgz"}
	st, err := Stage(c, Options{Remove: true, Suffix: ".gz"}, []string{a}, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Job(ctx); err == nil {
		t.Errorf("Job = nil after the undo, want an error")
	}
	if !exists(a) || exists(a+".gz") {
		t.Errorf("after the undo: %s exists %v, %s.gz exists %v; want true, false", a, exists(a), a, exists(a+".gz"))
	}
	stagetest.CheckNoTemp(t, dir)
}

// TestOutputFlag: -o writes the one FILE's output to the named file,
// keeps FILE unless Remove, and refuses an existing one without -f.
func TestOutputFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, out := filepath.Join(dir, "a"), filepath.Join(dir, "sub", "out.gz")
	os.Mkdir(filepath.Dir(out), 0o755)
	write(t, a, "aa", 0o640, mtime)
	r := runJob(t, codec(nil), Options{Output: out}, a)
	if r.err != nil || gunzip(t, out) != "aa" || !exists(a) {
		t.Fatalf("-o: %v %q", r.err, r.stderr)
	}
	checkAttrs(t, out, 0o640, mtime)
	r = runJob(t, codec(nil), Options{Output: out}, a)
	if r.stderr != "fgz: "+out+": already exists; not overwritten\n" {
		t.Errorf("-o again: stderr %q", r.stderr)
	}
	if err := Check(codec(nil), Options{Output: out, Suffix: ".gz"}, []string{a, a}); err == nil {
		t.Errorf("Check(-o with two FILEs) = nil, want a usage error")
	}
}

// TestFolderMoved: a folder renamed (and another put at its name) between
// the opening of FILE and the creation of its output: the output would
// land in another folder than FILE's, so FILE is refused and kept, and
// nothing is written in either folder. Not parallel: it sets a hook.
func TestFolderMoved(t *testing.T) {
	root := t.TempDir()
	d := filepath.Join(root, "d")
	os.Mkdir(d, 0o755)
	write(t, filepath.Join(d, "a"), "a", 0o644, mtime)
	testHookBeforeSink = func() {
		os.Rename(d, d+"2")
		os.Mkdir(d, 0o755)
	}
	defer func() { testHookBeforeSink = nil }()
	r := runJob(t, codec(nil), Options{Remove: true}, filepath.Join(d, "a"))
	if want := "fgz: " + filepath.Join(d, "a") + ": its folder was moved while being opened -- ignored\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
	if !exists(filepath.Join(d+"2", "a")) || exists(filepath.Join(d+"2", "a.gz")) || exists(filepath.Join(d, "a.gz")) {
		t.Errorf("FILE went or an output was written")
	}
	stagetest.CheckNoTemp(t, d)
	stagetest.CheckNoTemp(t, d+"2")
}
