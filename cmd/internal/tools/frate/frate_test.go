package frate

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/fpipe/fpipe/stages/throttle"
)

func TestParseRate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1", 1, true}, {"50MiB", 50 << 20, true}, {"10M", 10 << 20, true}, {"1.5G", 3 << 29, true},
		{"800K", 800 << 10, true}, {"20MB/s", 20e6, true}, {" 7 ", 7, true}, {"64KiB/s", 64 << 10, true},
		{"0", 0, false}, {"-1", 0, false}, {"NaN", 0, false}, {"1X", 0, false}, {"", 0, false},
		{"/s", 0, false}, {"0.5", 0, false}, {"inf", 0, false}, {"1e9", 0, false}, {"99999999P", 0, false},
	} {
		got, err := ParseRate(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"1", "50MiB", "1.5G", "20MB/s", "0", "-1", "NaN", "1X", "0.5", "9.9999999999P"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseRate(s)
		if err == nil && v < 1 {
			t.Errorf("ParseRate(%q) = %d, no error", s, v)
		}
		if err == nil {
			if v2, err := ParseRate(cli.FormatSize(v)); err != nil || v2 != v {
				t.Errorf("round trip of %d: %d, %v", v, v2, err)
			}
		}
	})
}

func TestReadRateFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	for _, c := range []struct {
		name, content string
		want          int64
		err           string
	}{
		{"plain", "10M\n", 10 << 20, ""},
		{"comments", "# nightly\n\n  2MiB/s  \n5M\n", 2 << 20, ""},
		{"no newline", "100", 100, ""},
		{"empty", "", 0, "no rate in the file"},
		{"bad", "fast\n", 0, `invalid rate "fast"`},
		{"zero", "0\n", 0, "at least 1 byte"},
		{"long", strings.Repeat("#", 5000) + "\n1M\n", 0, "no rate in the file"}, // only 4 KiB are read
	} {
		got, err := ReadRateFile(write(c.name, c.content))
		if got != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: ReadRateFile = %d, %v; want %d, %q", c.name, got, err, c.want, c.err)
		}
	}
	if _, err := ReadRateFile(filepath.Join(dir, "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestReadRateFileNeverWaits: a FIFO, with or without a writer, a device
// or a folder: ReadRateFile returns within rateFileWait and a little.
func TestReadRateFileNeverWaits(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	silent := filepath.Join(dir, "silent")
	if err := syscall.Mkfifo(silent, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(silent, os.O_RDWR, 0) // a writer that never writes
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fed := filepath.Join(dir, "fed")
	if err := syscall.Mkfifo(fed, 0o644); err != nil {
		t.Fatal(err)
	}
	fw, err := os.OpenFile(fed, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fw.Close()
	fw.Write([]byte("3M\n"))
	for _, c := range []struct {
		name, path string
		want       int64
		err        error
		msg        string
	}{
		{"FIFO without a writer", fifo, 0, nil, "no rate in the file"},
		{"FIFO with a silent writer", silent, 0, nil, "no rate written to it within"},
		{"FIFO with a rate in it", fed, 3 << 20, nil, ""},
		{"device", "/dev/zero", 0, errNotRateFile, ""},
		{"folder", dir, 0, errNotRateFile, ""},
	} {
		start := time.Now()
		got, err := ReadRateFile(c.path)
		if el := time.Since(start); el > rateFileWait+time.Second {
			t.Errorf("%s: ReadRateFile took %v", c.name, el)
		}
		if got != c.want || c.err != nil && !errors.Is(err, c.err) || c.msg != "" && (err == nil || !strings.Contains(err.Error(), c.msg)) || c.want != 0 && err != nil {
			t.Errorf("%s: ReadRateFile = %d, %v; want %d, %v %q", c.name, got, err, c.want, c.err, c.msg)
		}
	}
}

// build parses args as the binary would and builds the stage.
func build(t *testing.T, args []string, stderr io.Writer) (*cli.Stage, error) {
	t.Helper()
	b, fs, _, _, err := Tool.Parse(args, stderr)
	if err != nil {
		return nil, err
	}
	return b(fs.Args(), &cli.Env{Ctx: context.Background(), Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: stderr, Tool: "frate"})
}

func TestBuildUsage(t *testing.T) {
	for _, args := range [][]string{
		{"0"}, {"NaN"}, {"1X"}, {"--", "-1"}, {"-1"}, {"--burst", "0", "1M"}, {}, {"1M", "2M"}, {"-r", "1M", "2M"},
		{"--rate", "0"}, {"--burst", "1T", "1"},
	} {
		_, err := build(t, args, io.Discard)
		var ue *cli.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("frate %q: error %v, want a usage error", args, err)
		}
	}
	st, err := build(t, []string{"--burst", "1000", "-r", "2M"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	w, err := st.Filter.Writer(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	tw := w.(*throttle.Writer)
	if tw.Rate() != 2<<20 || tw.Burst() != 1000 {
		t.Errorf("rate %d burst %d", tw.Rate(), tw.Burst())
	}
	if st.Close != nil || st.Undo != nil || st.Source != nil || st.Sink != nil {
		t.Error("a stage without --rate-file has more than a filter")
	}
}

// TestSIGHUP sends SIGHUP to the test process: the stage, which has
// signal.Notify'd it, re-reads the rate file; after Close, frate no longer
// listens (the signal is not sent then: it would end the test binary).
func TestSIGHUP(t *testing.T) {
	dir := t.TempDir()
	rf := filepath.Join(dir, "rate")
	os.WriteFile(rf, []byte("1K\n"), 0o644)
	var stderr stagetest.SyncBuffer
	st, err := build(t, []string{"--rate-file", rf}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := st.Filter.Writer(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	tw := w.(*throttle.Writer)
	if tw.Rate() != 1024 || tw.Burst() != 102 {
		t.Fatalf("rate %d burst %d at the start", tw.Rate(), tw.Burst())
	}
	hup := func() { syscall.Kill(os.Getpid(), syscall.SIGHUP) }
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); {
			if time.Now().After(deadline) {
				t.Fatalf("no %s after SIGHUP", what)
			}
			time.Sleep(time.Millisecond)
		}
	}

	os.WriteFile(rf, []byte("100M\n"), 0o644)
	hup()
	waitFor("new rate", func() bool { return tw.Rate() == 100<<20 })
	os.WriteFile(rf, []byte("50M\n"), 0o644)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	waitFor("new rate", func() bool { return tw.Rate() == 50<<20 })
	os.WriteFile(rf, []byte("100M\n"), 0o644)
	hup()
	waitFor("new rate", func() bool { return tw.Rate() == 100<<20 })
	if tw.Burst() != 64<<10 {
		t.Errorf("burst %d after the change, want 64 KiB", tw.Burst())
	}

	os.WriteFile(rf, []byte("slow\n"), 0o644)
	hup()
	waitFor("message", func() bool { return stderr.String() != "" })
	if got, want := stderr.String(), "frate: "+rf+`: invalid rate "slow": not a size: "slow"; keeping 100MiB/s`+"\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
	if tw.Rate() != 100<<20 {
		t.Errorf("rate %d after a bad file", tw.Rate())
	}
	if err := st.Close(); err != nil {
		t.Error(err)
	}
	st.Close() // twice is fine
}
