package fpv

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/cli"
)

func TestInterval(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true}, {"0.5", 500 * time.Millisecond, true}, {"500ms", 500 * time.Millisecond, true},
		{"1m", time.Minute, true}, {"60", time.Minute, true}, {"0.001", time.Millisecond, true},
		{"0", 0, false}, {"-1", 0, false}, {"NaN", 0, false}, {"soon", 0, false}, {"1e9", 0, false}, {"", 0, false},
	} {
		var v intervalValue
		err := v.Set(c.in)
		if (err == nil) != c.ok || v.d != c.want {
			t.Errorf("interval %q = %v, %v; want %v, ok=%v", c.in, v.d, err, c.want, c.ok)
		}
	}
}

func FuzzInterval(f *testing.F) {
	for _, s := range []string{"1", "0.5", "500ms", "NaN", "-1", "1e300", "inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v intervalValue
		if err := v.Set(s); err == nil && (v.d < time.Millisecond || v.d > 24*time.Hour) {
			t.Errorf("interval %q accepted as %v", s, v.d)
		}
	})
}

func TestExpectedSize(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, make([]byte, 1000), 0o644)
	f, _ := os.Open(p)
	defer f.Close()
	f.Seek(300, io.SeekStart)
	for _, c := range []struct {
		name  string
		v     sizeValue
		stdin io.Reader
		want  int64
	}{
		{"none, pipe", sizeValue{}, strings.NewReader("x"), -1},
		{"none, file at offset 300", sizeValue{}, f, 700},
		{"given", sizeValue{"2K", true}, f, 2048},
		{"@file", sizeValue{"@" + p, true}, nil, 1000},
	} {
		got, err := expectedSize(c.v, c.stdin)
		if err != nil || got != c.want {
			t.Errorf("%s: expectedSize = %d, %v; want %d", c.name, got, err, c.want)
		}
	}
	if _, err := expectedSize(sizeValue{"@" + dir, true}, nil); err == nil {
		t.Error("@dir accepted")
	}
	if _, err := expectedSize(sizeValue{"@" + filepath.Join(dir, "nope"), true}, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("@missing: %v", err)
	}
}

// run builds fpv from args with stderr as a buffer, passes data through the
// stage and returns what fpv wrote on stderr.
func run(t *testing.T, args []string, data string) (string, error) {
	t.Helper()
	var stderr strings.Builder
	b, fs, _, _, err := Tool.Parse(args, &stderr)
	if err != nil {
		return "", err
	}
	st, err := b(fs.Args(), &cli.Env{Ctx: context.Background(), Stdin: strings.NewReader(data), Stdout: io.Discard, Stderr: &stderr, Tool: "fpv"})
	if err != nil {
		return "", err
	}
	var out strings.Builder
	w, err := st.Filter.Writer(&out)
	if err != nil {
		return "", err
	}
	io.Copy(w, strings.NewReader(data))
	w.Close()
	if out.String() != data {
		t.Errorf("fpv %q changed the data", args)
	}
	return stderr.String(), nil
}

// stamp is the ISO 8601 time that starts a log line.
var stamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) `)

func TestDisplays(t *testing.T) {
	for _, c := range []struct {
		args   []string
		prefix string
		suffix string
	}{
		{nil, "fpv: 5 B in 0:00:00.", " average: done\n"},                 // a buffer is no terminal: log lines
		{[]string{"-N", "db"}, "db: 5 B in 0:00:00.", " average: done\n"}, //
		{[]string{"-s", "10"}, "fpv: 5 B in ", "short of the expected 10 B (50%)\n"},
		{[]string{"-pterab", "-W", "-L", "1G"}, "fpv: 5 B in 0:00:00.", " average: done\n"},
		{[]string{"-f"}, "\r5 B in 0:00:00.", " average: done\n"}, // the terminal display, no name
		{[]string{"-q"}, "", ""},
		{[]string{"-n"}, "100\n", "100\n"},
		{[]string{"-n", "-b"}, "5\n", "5\n"},
		{[]string{"-nbt"}, "0.0", " 5\n"},
	} {
		got, err := run(t, c.args, "hello")
		if err != nil {
			t.Errorf("fpv %q: %v", c.args, err)
			continue
		}
		if !strings.HasPrefix(c.prefix, "\r") && !slices.Contains([]string{"", "100\n", "5\n", "0.0"}, c.prefix) {
			// a log line starts with the time
			if !stamp.MatchString(got) {
				t.Errorf("fpv %q wrote %q, with no time first", c.args, got)
				continue
			}
			got = stamp.ReplaceAllString(got, "")
		}
		if !strings.HasPrefix(got, c.prefix) || !strings.HasSuffix(got, c.suffix) {
			t.Errorf("fpv %q wrote %q, want %q...%q", c.args, got, c.prefix, c.suffix)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-q", "-n"}, {"-q", "-f"}, {"-L", "0"}, {"-L", "fast"}, {"-L", "-1"}, {"-l"}, {"-w", "80"}, {"-s", "1X"}, {"-s", "@"}, {"-i", "0"}, {"-i", "x"}, {"-s", "-1"},
	} {
		_, err := run(t, args, "")
		var ue *cli.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("fpv %q: %v, want a usage error", args, err)
		}
	}
}

// TestPVOnly: each pv flag that fpv does not have, however pv would take
// it, is one usage error that names it and says what to do instead.
func TestPVOnly(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-l"}, "has no -l (pv's --line-mode): it counts bytes; count lines with wc -l"},
		{[]string{"--line-mode"}, "has no -l (pv's --line-mode): "},
		{[]string{"-pl"}, "has no -l (pv's --line-mode): "},
		{[]string{"-w", "80", "-p"}, "has no -w (pv's --width): "},
		{[]string{"-w80"}, "has no -w (pv's --width): "},
		{[]string{"--format=%b"}, "has no -F (pv's --format): choose what to show with -p -t -e -r -a -b"},
		{[]string{"-S", "-s", "1k"}, "has no -S (pv's --stop-at-size): stop at SIZE with fread --length SIZE FILE | fpv -s SIZE"},
		{[]string{"-V"}, "has no -V: use --version"},
		{[]string{"-0"}, "has no -0 (pv's --null): "},
	} {
		_, err := run(t, c.args, "")
		var ue *cli.UsageError
		if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("fpv %q: %v, want a usage error %q", c.args, err, c.want)
		}
	}
	seen := map[string]bool{}
	for _, f := range pvOnly {
		if len(f.short) != 1 || seen[f.short] || seen[f.long] || f.instead == "" {
			t.Errorf("pvOnly %+v: a bad or repeated entry", f)
		}
		seen[f.short], seen[f.long] = true, true
	}
}

func TestFilesSize(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, make([]byte, 1000), 0o644)
	os.WriteFile(b, make([]byte, 24), 0o644)
	f, _ := os.Open(a)
	defer f.Close()
	for _, c := range []struct {
		name  string
		names []string
		stdin io.Reader
		want  int64
	}{
		{"files", []string{a, b}, nil, 1024},
		{"one twice", []string{a, a}, nil, 2000},
		{"a missing file adds nothing", []string{a, filepath.Join(dir, "nope")}, nil, 1000},
		{"a folder: unknown", []string{a, dir}, nil, -1},
		{"a device: unknown", []string{"/dev/null"}, nil, -1},
		{"stdin a file, counted once", []string{b, "-", "-"}, f, 1024},
		{"stdin a pipe: unknown", []string{a, "-"}, strings.NewReader("x"), -1},
	} {
		if got := filesSize(c.names, c.stdin); got != c.want {
			t.Errorf("%s: filesSize = %d, want %d", c.name, got, c.want)
		}
	}
}

// TestRateLimit: -L holds the stream to the rate, and the meter counts what
// the throttle let go; a cancelled run ends the wait at once.
func TestRateLimit(t *testing.T) {
	var stderr strings.Builder
	b, fs, _, _, err := Tool.Parse([]string{"-L", "100k", "-n", "-b"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	st, err := b(fs.Args(), &cli.Env{Ctx: context.Background(), Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr, Tool: "fpv"})
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Repeat("x", 50<<10)
	var out strings.Builder
	w, err := st.Filter.Writer(&out)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	io.Copy(w, strings.NewReader(data))
	w.Close()
	// 50 KiB at 100 KiB/s: half a second (the first burst waits too).
	if el := time.Since(start); el < 400*time.Millisecond || el > 3*time.Second {
		t.Errorf("50 KiB at 100 KiB/s took %v, want about 0.5 s", el)
	}
	if out.String() != data {
		t.Error("the data changed")
	}
	if got := stderr.String(); got != "51200\n" {
		t.Errorf("stderr %q, want the byte count", got)
	}

	w, _ = st.Filter.Writer(io.Discard)
	go func() {
		time.Sleep(100 * time.Millisecond)
		w.(interface{ Interrupt() }).Interrupt()
	}()
	start = time.Now()
	_, err = w.Write(make([]byte, 1<<20)) // ten seconds at the rate
	if el := time.Since(start); err == nil || el > 2*time.Second {
		t.Errorf("interrupted write: %v after %v, want an error within a second", err, el)
	}
	w.Close()
}
