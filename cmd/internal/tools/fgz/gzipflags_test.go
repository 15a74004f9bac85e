package fgz

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/spf13/pflag"
)

// buildIn is build with standard input r.
func buildIn(t *testing.T, r io.Reader, words ...string) (*cli.Stage, error) {
	t.Helper()
	b, fs, _, _, err := Tool.Parse(words, io.Discard)
	if err != nil {
		return nil, err
	}
	return b(fs.Args(), &cli.Env{Ctx: context.Background(), Stdin: r, Stdout: io.Discard, Stderr: io.Discard, Tool: "fgz"})
}

const levels = "levels are -1 (fastest) to -9 (smallest), and -0 (store)"

// TestGzipHabitsRefused: each word gzip or pigz would not take, or that
// fgz does not have, is a usage error with one line.
func TestGzipHabitsRefused(t *testing.T) {
	for _, tc := range []struct {
		words []string
		msg   string
	}{
		{[]string{"-91"}, "no level 91: " + levels},
		{[]string{"-19"}, "no level 19: " + levels},
		{[]string{"-10"}, "no level 10: " + levels},
		{[]string{"-c19"}, "no level 19: " + levels},
		{[]string{"-19c"}, "no level 19: " + levels},
		{[]string{"-d", "-91"}, "no level 91: " + levels}, // pigz refuses it whatever the mode
		{[]string{"-999999999999999999999"}, "no level 999999999999999999999: " + levels},
		{[]string{"-11"}, "has no -11 (pigz's zopfli): -9 is the smallest fgz writes"},
		{[]string{"-011"}, "has no -011 (pigz's zopfli): -9 is the smallest fgz writes"},
		{[]string{"--level", "12"}, "--level 12: out of range 0-9"},
		{[]string{"--level=11"}, "--level 11: out of range 0-9"},
		{[]string{"-l"}, "has no -l (gzip's --list): the size of the data is fgz -d < FILE.gz | wc -c"},
		{[]string{"-dl"}, "has no -l (gzip's --list): the size of the data is fgz -d < FILE.gz | wc -c"},
		{[]string{"--list"}, "has no -l (gzip's --list): the size of the data is fgz -d < FILE.gz | wc -c"},
		{[]string{"-r"}, "has no -r (gzip's --recursive): " + gzipOnly[1].Instead},
		{[]string{"-a"}, "has no -a (gzip's --ascii): it compresses the bytes as they are, as gzip does on Unix: leave out -a"},
		{[]string{"-L"}, "has no -L (gzip's --license): fgz is free software under the MIT license; fgz --version gives its version"},
		{[]string{"-V"}, "has no -V (gzip's --version): use --version"},
		{[]string{"--rsyncable"}, "has no --rsyncable (pigz's -R): " + gzipOnly[5].Instead},
		{[]string{"-R"}, "has no --rsyncable (pigz's -R): " + gzipOnly[5].Instead},
		{[]string{"--synchronous"}, "has no --synchronous (pigz's -Y): fgz | fsink FILE writes FILE and fsyncs it, and its folder, before it counts"},
		{[]string{"-z"}, "has no -z (pigz's --zlib): it writes gzip only; pigz -z writes zlib"},
		{[]string{"-K"}, "has no -K (pigz's --zip): it writes gzip only; zip writes zip"},
		{[]string{"-C", "nightly"}, "has no -C (pigz's --comment): its gzip header holds no comment; keep the note in a file beside the archive"},
		{[]string{"-Anightly"}, "has no -A (pigz's --alias): it names a zip entry, and fgz writes gzip only"},
		{[]string{"-H"}, "has no -H (pigz's --huffman): it has no deflate strategies; -1 is the fastest fgz writes"},
		{[]string{"-U"}, "has no -U (pigz's --rle): it has no deflate strategies; -1 is the fastest fgz writes"},
		{[]string{"-11", "-F"}, "has no -F (pigz's --first, for -11): " + zopfli}, // the flag first, then the level
		{[]string{"-I", "20"}, "has no -I (pigz's --iterations, for -11): " + zopfli},
		{[]string{"-J20"}, "has no -J (pigz's --maxsplits, for -11): " + zopfli},
		{[]string{"-O"}, "has no -O (pigz's --oneblock, for -11): " + zopfli},
		{[]string{"-b", "128"}, "--block-size 128: pigz's -b counts KiB: write -b 128KiB"},
		{[]string{"-b64"}, "--block-size 64: pigz's -b counts KiB: write -b 64KiB"},
		{[]string{"-b", "32"}, "--block-size 32: out of range 64KiB-256MiB"}, // as KiB, still too small
		{[]string{"-b", "128B"}, "--block-size 128: out of range 64KiB-256MiB"},
		{[]string{"-M"}, "has no -M (pigz's --time) when compressing: fgz stores no time in the gzip header, so that the same data gives the same bytes; keep the time on FILE.gz (touch -r FILE FILE.gz)"},
		{[]string{"-i", "--single-member"}, "--independent and --single-member: -i is fgz's default, one gzip member per block"},
		{[]string{"-N", "a.txt"}, "has no -N (gzip's --name) for a file: fgz stores no name and no time in the gzip header, so that the same data gives the same bytes; keep the time on FILE.gz (touch -r FILE FILE.gz)"},
		{[]string{"-dN", "a.gz"}, "has no -N or -M with -d and files: fgz -d names FILE after FILE.gz and gives it FILE.gz's time, as gzip -n does; the header holds no name or time to restore"},
		{[]string{"-dM", "a.gz"}, "has no -N or -M with -d and files: fgz -d names FILE after FILE.gz and gives it FILE.gz's time, as gzip -n does; the header holds no name or time to restore"},
	} {
		_, err := build(t, tc.words...)
		var ue *cli.UsageError
		if !errors.As(err, &ue) || err.Error() != tc.msg {
			t.Errorf("fgz %q: %v; want the usage error %q", tc.words, err, tc.msg)
		}
	}
}

// TestGzipHabitsAccepted: the words gzip and pigz take that change nothing
// for fgz build the same stage, and -b with a unit or -d is fgz's own.
func TestGzipHabitsAccepted(t *testing.T) {
	data := bytes.Repeat([]byte("the same words, built once, 0123456789\n"), 60000)
	compress := func(words ...string) []byte {
		t.Helper()
		st, err := build(t, words...)
		if err != nil {
			t.Fatalf("fgz %q: %v", words, err)
		}
		z, err := run(t, st, data)
		if err != nil {
			t.Fatalf("fgz %q: %v", words, err)
		}
		return z.Taken()
	}
	def, l1, l9, l0 := compress(), compress("--level", "1"), compress("--level", "9"), compress("--level", "0")
	for _, tc := range []struct {
		words []string
		want  []byte
	}{
		{[]string{"-n"}, def}, {[]string{"--no-name"}, def}, {[]string{"-N"}, def}, {[]string{"--name"}, def},
		{[]string{"-m"}, def}, {[]string{"--no-time"}, def}, {[]string{"-T"}, def}, {[]string{"-Nm"}, def},
		{[]string{"-i"}, def}, {[]string{"--independent"}, def}, {[]string{"-c"}, def},
		{[]string{"-9n"}, l9}, {[]string{"-n9"}, l9}, {[]string{"-1", "-9"}, l9}, {[]string{"-9", "-1"}, l1},
		{[]string{"-9c"}, l9}, {[]string{"-c9"}, l9}, {[]string{"-1c9"}, l9}, {[]string{"-c1", "-9c"}, l9},
		{[]string{"-09"}, l9}, {[]string{"-00"}, l0}, {[]string{"-0"}, l0}, {[]string{"--best"}, l9},
		{[]string{"--fast", "-9"}, l9}, {[]string{"--best", "--fast"}, l1}, {[]string{"-9", "-p", "1"}, l9},
		{[]string{"-9p1"}, l9}, {[]string{"-1", "--level", "9"}, l9},
	} {
		if got := compress(tc.words...); !bytes.Equal(got, tc.want) {
			t.Errorf("fgz %q: not the expected output", tc.words)
		}
	}
	// -N and -M with -d and -t on standard input: nothing to restore.
	for _, words := range [][]string{{"-dN"}, {"-tN"}, {"-dM"}, {"-tM"}, {"-d", "-b", "128"}, {"-dn"}, {"-dm"}} {
		if _, err := build(t, words...); err != nil {
			t.Errorf("fgz %q: %v", words, err)
		}
	}
}

// TestGzipNameFromFile: gzip -N stores the time of a regular file on
// standard input, fgz none, so -N is refused there and taken from a pipe.
func TestGzipNameFromFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(p, []byte("data\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := buildIn(t, f, "-N"); err == nil || !strings.Contains(err.Error(), "has no -N (gzip's --name) for a file") {
		t.Errorf("fgz -N < file: %v", err)
	}
	if _, err := buildIn(t, f, "-n"); err != nil {
		t.Errorf("fgz -n < file: %v", err)
	}
	if _, err := buildIn(t, f, "-tN"); err != nil {
		t.Errorf("fgz -tN < file: %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, err := buildIn(t, r, "-N"); err != nil {
		t.Errorf("fgz -N < pipe: %v", err)
	}
}

// TestEveryFlagEndsTheLevel: a flag after the digits of a level ends its
// number, whichever flag (-9k -1 is level 1, not 91). It fails if a flag is
// defined after defineGzip, which must stay last.
func TestEveryFlagEndsTheLevel(t *testing.T) {
	_, fs, _, _, _ := Tool.Parse(nil, io.Discard)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Shorthand == "" || f.NoOptDefVal == "" || f.Shorthand >= "0" && f.Shorthand <= "9" || f.Name == "help" { // -h shows the help, whatever the level
			return
		}
		words := []string{"-9" + f.Shorthand, "-1"}
		_, fs, _, _, err := Tool.Parse(words, io.Discard)
		if err != nil {
			t.Fatalf("fgz %q: %v", words, err)
		}
		if got := fs.Lookup("level").Value.String(); got != "1" {
			t.Errorf("fgz %q: level %s, want 1", words, got)
		}
	})
}
