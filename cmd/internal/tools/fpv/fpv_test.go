package fpv

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
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

func TestDisplays(t *testing.T) {
	for _, c := range []struct {
		args   []string
		prefix string
		suffix string
	}{
		{nil, "fpv: 5 B in 0:00:00.", " average: done\n"},                 // a buffer is no terminal: log lines
		{[]string{"-N", "db"}, "db: 5 B in 0:00:00.", " average: done\n"}, //
		{[]string{"-s", "10"}, "fpv: 5 B in ", "short of the expected 10 B (50%)\n"},
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
		if !strings.HasPrefix(got, c.prefix) || !strings.HasSuffix(got, c.suffix) {
			t.Errorf("fpv %q wrote %q, want %q...%q", c.args, got, c.prefix, c.suffix)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-b"}, {"-t"}, {"-q", "-n"}, {"-q", "-f"}, {"x"}, {"-s", "1X"}, {"-s", "@"}, {"-i", "0"}, {"-i", "x"}, {"-s", "-1"},
	} {
		_, err := run(t, args, "")
		var ue *cli.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("fpv %q: %v, want a usage error", args, err)
		}
	}
}
