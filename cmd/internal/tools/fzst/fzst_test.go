package fzst

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/zst"
)

// build parses words as fzst's command line and builds the stage, as the
// binary and the in-process runner do.
func build(t *testing.T, words ...string) (*cli.Stage, error) {
	t.Helper()
	b, fs, _, _, err := Tool.Parse(words, io.Discard)
	if err != nil {
		return nil, err
	}
	return b(fs.Args(), &cli.Env{Ctx: context.Background(), Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Tool: "fzst"})
}

// compressWith runs data through the stage the words build.
func compressWith(t *testing.T, data []byte, words ...string) []byte {
	t.Helper()
	st, err := build(t, words...)
	if err != nil {
		t.Fatalf("%v: %v", words, err)
	}
	var out bytes.Buffer
	if _, err := stages.Run(context.Background(), stages.Chain{Source: bytes.NewReader(data), Filters: []stages.Filter{*st.Filter}, Sink: stages.StdoutSink(&out)}); err != nil {
		t.Fatalf("%v: %v", words, err)
	}
	return out.Bytes()
}

// direct compresses data with zst at level.
func direct(t *testing.T, data []byte, level int) []byte {
	var b bytes.Buffer
	w, _ := zst.NewWriter(&b, zst.Level(level))
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// TestLevelWords: the level as zstd's command line writes it, through the
// same definition the runner uses.
func TestLevelWords(t *testing.T) {
	data := bytes.Repeat([]byte("the same words, built once, 0123456789\n"), 30000)
	want := map[int][]byte{1: direct(t, data, 1), 3: direct(t, data, 3), 7: direct(t, data, 7), 9: direct(t, data, 9), 19: direct(t, data, 19)}
	for _, tc := range []struct {
		words []string
		level int
	}{
		{nil, 3},
		{[]string{"-1"}, 1},
		{[]string{"-19"}, 19},
		{[]string{"-7"}, 7},
		{[]string{"--level", "19"}, 19},
		{[]string{"--level=7"}, 7},
		{[]string{"-19", "--level", "1"}, 1},
		{[]string{"--level", "1", "-19"}, 19},
		{[]string{"-1", "-c", "-7"}, 7},    // another flag in between: a new number
		{[]string{"-1", "-T2", "-19"}, 19}, // so is a flag with a value
		{[]string{"-c19"}, 19},
		{[]string{"-1", "-9"}, 9},   // the last level wins, as in zstd
		{[]string{"-c1", "-9c"}, 9}, // a word ends the number
		{[]string{"-c9", "-1c"}, 1},
		{[]string{"-019"}, 19},
	} {
		if got := compressWith(t, data, tc.words...); !bytes.Equal(got, want[tc.level]) {
			t.Errorf("fzst %v: output is not level %d's", tc.words, tc.level)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		words []string
		msg   string
	}{
		{[]string{"--rm", "-k", "file"}, "--rm and --keep contradict each other: give one"},
		{[]string{"-o", "x", "a", "b"}, "-o names one output: give one FILE, not 2"},
		{[]string{"-c", "-o", "x", "a"}, "-o and -c both name the output: give one"},
		{[]string{"-t", "-o", "x", "a"}, "-t writes nothing: -o does not apply"},
		{[]string{"-S", "", "a"}, "--suffix '': not a suffix (not empty, no '/')"},
		{[]string{"-20"}, "has no -20 (zstd's --ultra levels 20-22): -19 is the smallest fzst writes"},
		{[]string{"-c22"}, "has no -22 (zstd's --ultra levels 20-22): -19 is the smallest fzst writes"},
		{[]string{"-23"}, "no level 23: levels are -1 (fastest) to -19 (smallest), default -3"},
		{[]string{"-0"}, "no level 0: levels are -1 (fastest) to -19 (smallest), default -3"},
		{[]string{"-123"}, "no level 123: levels are -1 (fastest) to -19 (smallest), default -3"},
		{[]string{"-c123"}, "no level 123: levels are -1 (fastest) to -19 (smallest), default -3"},
		{[]string{"-c" + strings.Repeat("9", 25)}, "no level " + strings.Repeat("9", 25) + ": levels are -1 (fastest) to -19 (smallest), default -3"},
		{[]string{"--level", "0"}, "--level 0: out of range 1-19"},
		{[]string{"-d", "-25"}, "no level 25: levels are -1 (fastest) to -19 (smallest), default -3"},
		{[]string{"-T", "-2"}, "--threads -2: at least 0"},
		{[]string{"--long=9"}, "--long=9: the window log must be 10 to 29"},
		{[]string{"--long=30"}, "--long=30: the window log must be 10 to 29"},
		{[]string{"-d", "--long=42"}, "--long=42: the window log must be 10 to 41"},
		{[]string{"--memory", "1G"}, "--memory applies to -d and -t"},
		{[]string{"-t", "-M", "512"}, "--memory 512: out of range 1KiB-3840GiB"},
		{[]string{"-d", "--memory", "4T"}, "--memory 4TiB: out of range 1KiB-3840GiB"},
	} {
		_, err := build(t, tc.words...)
		var ue *cli.UsageError
		if !errors.As(err, &ue) || err.Error() != tc.msg {
			t.Errorf("fzst %v: %v; want the usage error %q", tc.words, err, tc.msg)
		}
	}
}

// TestDecompressStage: -d with --long raises the window limit, --memory
// sets it, and an empty input is named stdin.
func TestDecompressStage(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 300000)
	var z bytes.Buffer
	w, _ := zst.NewWriter(&z, zst.WindowLog(28))
	w.Write(data)
	w.Close()
	for _, tc := range []struct {
		words []string
		msg   string
	}{
		{[]string{"-d"}, "window too large in the frame at offset 0: it needs 256 MiB, more than the limit of 128 MiB (use --memory=256MiB)"},
		{[]string{"-d", "--long=27"}, "(use --memory=256MiB)"},
		{[]string{"-d", "--long=28"}, ""},
		{[]string{"-t", "--memory", "256M"}, ""},
		{[]string{"-d", "--long=28", "--memory", "1M"}, "more than the limit of 1 MiB"},
	} {
		st, err := build(t, tc.words...)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		c := stages.Chain{Source: bytes.NewReader(z.Bytes()), Filters: []stages.Filter{*st.Filter}, Sink: stages.StdoutSink(&out)}
		if st.Sink != nil {
			c.Sink = st.Sink
		}
		_, err = stages.Run(context.Background(), c)
		switch {
		case tc.msg == "" && err != nil:
			t.Errorf("%v: %v", tc.words, err)
		case tc.msg != "" && (err == nil || !strings.Contains(err.Error(), tc.msg)):
			t.Errorf("%v: %v; want %q", tc.words, err, tc.msg)
		case tc.msg == "" && tc.words[0] == "-d" && !bytes.Equal(out.Bytes(), data):
			t.Errorf("%v: %d bytes out", tc.words, out.Len())
		}
	}
	st, _ := build(t, "-d")
	_, err := stages.Run(context.Background(), stages.Chain{Source: strings.NewReader(""), Filters: []stages.Filter{*st.Filter}, Sink: stages.StdoutSink(io.Discard)})
	if err == nil || cli.Message(err) != "stdin: empty input, not zstd data" {
		t.Errorf("empty input: %v", err)
	}
}
