package cli

import (
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// parseLevels parses words as a tool with digit levels (default 6, -1 also
// --fast), -c, -p N and --block-size SIZE would, through LevelWords.
func parseLevels(t *testing.T, words ...string) (*Levels, []string, error) {
	t.Helper()
	fs := NewFlagSet("t", io.Discard)
	l := DefineLevels(fs, 6, map[int][2]string{1: {"fast", "level 1"}})
	fs.Var(l, "level", "")
	fs.BoolP("stdout", "c", false, "")
	fs.IntP("threads", "p", 0, "")
	var size Size
	fs.VarP(&size, "block-size", "b", "")
	l.Seal(fs)
	err := fs.Parse(LevelWords("--fast")(words))
	return l, fs.Args(), err
}

func TestLevels(t *testing.T) {
	for _, tc := range []struct {
		words  []string
		v      int
		digits string
	}{
		{nil, 6, ""},
		{[]string{"-9"}, 9, "9"},
		{[]string{"-19"}, 19, "19"},
		{[]string{"-91"}, 91, "91"},
		{[]string{"-11"}, 11, "11"},
		{[]string{"-1", "-9"}, 9, "9"},   // two words: the last wins
		{[]string{"-1", "-1"}, 1, "1"},   // not 11
		{[]string{"-9c"}, 9, "9"},        // another flag ends the number
		{[]string{"-c9"}, 9, "9"},        // and starts none
		{[]string{"-1c9"}, 9, "9"},       // as pigz and zstd read it
		{[]string{"-c9", "-1c"}, 1, "1"}, // a word ending in a digit ends it
		{[]string{"-c1", "-9c"}, 9, "9"}, // so does one ending in a flag
		{[]string{"-9", "-p", "1"}, 9, "9"},
		{[]string{"-9", "-p", "-1"}, 9, "9"}, // -1 is -p's value
		{[]string{"-9p1"}, 9, "9"},           // 1 is -p's value
		{[]string{"-p1", "-9"}, 9, "9"},
		{[]string{"-b", "64", "-1"}, 1, "1"},
		{[]string{"-00"}, 0, "00"},
		{[]string{"-011"}, 11, "011"},
		{[]string{"-0009"}, 9, "0009"},
		{[]string{"-12345"}, math.MaxInt, "12345"},
		{[]string{"-99999999999999999999999"}, math.MaxInt, "99999999999999999999999"},
		{[]string{"--level", "12"}, 12, ""},
		{[]string{"-9", "--level=3"}, 3, ""},
		{[]string{"--level", "3", "-9"}, 9, "9"},
		{[]string{"--fast"}, 1, "1"},
		{[]string{"--fast", "-9"}, 9, "9"}, // not 19
		{[]string{"-9", "--fast"}, 1, "1"},
		{[]string{"--", "-9"}, 6, ""}, // an operand
		{[]string{"-1", "x", "-9"}, 9, "9"},
	} {
		l, _, err := parseLevels(t, tc.words...)
		if err != nil || l.V != tc.v || l.Digits != tc.digits {
			t.Errorf("levels %q = %d %q, %v; want %d %q", tc.words, l.V, l.Digits, err, tc.v, tc.digits)
		}
	}
	for _, words := range [][]string{{"-1=false"}, {"--level", "x"}, {"-9x"}} {
		if _, _, err := parseLevels(t, words...); err == nil {
			t.Errorf("levels %q: no error", words)
		}
	}
}

func TestLevelWords(t *testing.T) {
	end := "--" + wordEnd
	for _, tc := range []struct{ in, want []string }{
		{[]string{"-19"}, []string{"-19", end}},
		{[]string{"-1", "-9", "-d"}, []string{"-1", end, "-9", end, "-d"}},
		{[]string{"-p", "2", "-3"}, []string{"-p", "2", "-3", end}},
		{[]string{"-c19", "--long=27", "--long", "27"}, []string{"-c19", end, "--long=27", end, "--long", "27"}},
		{[]string{"--fast", "--best"}, []string{"--fast", end, "--best"}},
		{[]string{"--", "-19"}, []string{"--", "-19"}},
		{[]string{"-", "", "x9", "-9", "--", "--", "-1"}, []string{"-", "", "x9", "-9", end, "--", "--", "-1"}},
	} {
		if got := LevelWords("--fast")(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("LevelWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzLevels: any words parse without a panic; LevelWords only adds its
// marks; a level written with digits is the number the digits write.
func FuzzLevels(f *testing.F) {
	for _, s := range []string{"-19", "-1 -9", "-c9 -1c", "-9p1", "-p -1", "--fast -9", "-- -9", "-0009", "-99999999999", "--level=3 -1", "-b 64 -1", "-1=false", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words := strings.Fields(s)
		marked := LevelWords("--fast")(words)
		var back []string
		seenEnd := false
		for _, w := range marked {
			seenEnd = seenEnd || w == "--"
			if w != "--"+wordEnd || seenEnd {
				back = append(back, w)
			}
		}
		if !slices.Equal(back, words) {
			t.Fatalf("LevelWords(%q) = %q: not only marks added", words, marked)
		}
		l, _, err := parseLevels(t, words...)
		if err != nil || l.Digits == "" {
			return
		}
		if strings.Trim(l.Digits, "0123456789") != "" {
			t.Fatalf("%q: digits %q", words, l.Digits)
		}
		want := math.MaxInt
		switch d := strings.TrimLeft(l.Digits, "0"); {
		case d == "":
			want = 0
		case len(d) <= 4:
			want, _ = strconv.Atoi(d)
		}
		if l.V != want {
			t.Fatalf("%q: level %d from digits %q, want %d", words, l.V, l.Digits, want)
		}
	})
}
