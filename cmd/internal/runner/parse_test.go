package runner

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src  string
		want [][]string
	}{
		{"fread a", [][]string{{"fread", "a"}}},
		{"fread a | fgz -9 | fsink b", [][]string{{"fread", "a"}, {"fgz", "-9"}, {"fsink", "b"}}},
		{`fread "a b" 'c d' e\ f | fsink "x\"y" 'it''s'`, [][]string{{"fread", "a b", "c d", "e f"}, {"fsink", `x"y`, "its"}}},
		{`fsum "back\slash" "dollar\$" 'lit\$'`, [][]string{{"fsum", `back\slash`, "dollar$", `lit\$`}}},
		{"# comment\nfread a \\\n  | fsink b # end\n", [][]string{{"fread", "a"}, {"fsink", "b"}}},
		{"fread a |\n  fsink b", [][]string{{"fread", "a"}, {"fsink", "b"}}},
		{`ssh host 'cat /x' | gpg -e -r "Me <m@x>" | fsink b`, [][]string{{"ssh", "host", "cat /x"}, {"gpg", "-e", "-r", "Me <m@x>"}, {"fsink", "b"}}},
		{`fread 'a*b' "c?d" e\*f`, [][]string{{"fread", "a*b", "c?d", "e*f"}}},
		{`fread a~b`, [][]string{{"fread", "a~b"}}},
	} {
		cmds, err := Parse(tc.src)
		if err != nil {
			t.Errorf("Parse(%q) error %v", tc.src, err)
			continue
		}
		var got [][]string
		for _, c := range cmds {
			got = append(got, c.Args)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) = %q, want %q", tc.src, got, tc.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ src, want string }{
		{"fread a > b", `1:9: redirection ">"`},
		{"fread a < b", `1:9: redirection "<"`},
		{"fread a 2>&1 | fsink b", `1:9: redirection ">&"`},
		{"fread a && fsink b", `1:9: "&&"`},
		{"fread a || fsink b", `1:9: "||"`},
		{"fread a; fsink b", "1:10: a second command list"},
		{"fread a\nfsink b", "2:1: a second command list"},
		{"fread a &", "background job"},
		{"! fread a", "negation"},
		{"fread $X", "1:7: variable expansion"},
		{"fread ${X}", "variable expansion"},
		{`fread "$X"`, "variable expansion ($) inside double quotes"},
		{"fread $(ls)", "command substitution"},
		{"fread `ls`", "command substitution"},
		{"fread $((1+2))", "arithmetic expansion"},
		{"fread *.sql", `1:7: glob "*.sql"`},
		{"fread a?", "glob"},
		{"fread [ab]", "glob"},
		{"fread ~/x", "tilde expansion"},
		{"fread {a,b}", "brace"},
		{"X=1 fread a", "variable assignment"},
		{"(fread a)", "subshell"},
		{"{ fread a; }", "command group"},
		{"if true; then fread a; fi", "if"},
		{"for f in a; do fread $f; done", "for loop"},
		{"f() { fread a; }", "function definition"},
		{"", "empty pipeline"},
		{"# only a comment", "empty pipeline"},
		{"fread a |", "1:"},
		{"fread 'a", "1:"},
	} {
		_, err := Parse(tc.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", tc.src, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error %q, want it to contain %q", tc.src, err, tc.want)
		}
	}
}

// TestParseLimits: a pipeline at each limit is read; one byte, command or
// word more is refused, naming the limit.
func TestParseLimits(t *testing.T) {
	t.Parallel()
	stages := func(n int) string { return "fread a" + strings.Repeat(" | fgz", n-1) }
	words := func(n int) string { return "fread" + strings.Repeat(" w", n-1) }
	padded := func(n int) string { // a comment fills the text to n bytes
		s := "fread a | fsink b\n#"
		return s + strings.Repeat("x", n-len(s))
	}
	for _, tc := range []struct {
		name, src string
		n         int    // commands when read
		refused   string // else: the error
	}{
		{"MaxText bytes", padded(MaxText), 2, ""},
		{"MaxText+1 bytes", padded(MaxText + 1), 0, "pipeline of 65537 bytes: the limit is 65536 bytes"},
		{"1 MiB", padded(1 << 20), 0, "the limit is 65536 bytes"},
		{"MaxStages commands", stages(MaxStages), MaxStages, ""},
		{"MaxStages+1 commands", stages(MaxStages + 1), 0, "more than 64 commands: the limit is 64"},
		{"MaxWords words", words(MaxWords), 1, ""},
		{"MaxWords+1 words", words(MaxWords + 1), 0, "1:1: more than 1024 words: the limit is 1024"},
		{"MaxWords+1 words in 2 commands", words(MaxWords/2) + " | " + words(MaxWords/2+1), 0, "more than 1024 words"},
		// Refused before the shell parser sees them (it took 230 MB and
		// 70 MB for these).
		{"$(( nested 20,000 deep", strings.Repeat("$((", 20000), 0, "more than 16 of ( { $ `"},
		{"( nested 60,000 deep", strings.Repeat("(", 60000), 0, "more than 16 of ( { $ `"},
		{"if nested 20,000 deep", strings.Repeat("if ", 20000), 0, "more than 1024 words"},
		{"a 64 KiB word", "fread " + strings.Repeat("x", MaxText-6), 1, ""},
		{"quoted blanks are not words", "fread '" + strings.Repeat(" ", 5000) + "'", 1, ""},
		{"16 of ( { $ ` quoted", "fread '((((((((((((((((((((' \"{{{{{{{{{{{{{{{{{{{{\"", 1, ""},
	} {
		cmds, err := Parse(tc.src)
		var se *SyntaxError
		switch {
		case tc.refused == "" && (err != nil || len(cmds) != tc.n):
			t.Errorf("%s: Parse = %d commands, %v; want %d", tc.name, len(cmds), err, tc.n)
		case tc.refused != "" && (!errors.As(err, &se) || !strings.Contains(err.Error(), tc.refused)):
			t.Errorf("%s: Parse = %d commands, %v; want the error %q", tc.name, len(cmds), err, tc.refused)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"fread a | fgz -9 | fsink b", `fread "a b" 'c' d\ e`, "fread a > b", "fread $X | x", "# c\nfread a \\\n | fsink b", "fread *", "a|b|c|d",
		"fread a" + strings.Repeat(" | fgz", MaxStages), "fread" + strings.Repeat(" w", MaxWords)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		cmds, err := Parse(src)
		if err != nil {
			return
		}
		if len(cmds) == 0 {
			t.Fatalf("Parse(%q) returned no commands and no error", src)
		}
		words := 0
		for _, c := range cmds {
			words += len(c.Args)
		}
		if len(src) > MaxText || len(cmds) > MaxStages || words > MaxWords {
			t.Fatalf("Parse(%q): %d bytes, %d commands, %d words: over a limit", src, len(src), len(cmds), words)
		}
		for _, c := range cmds {
			if len(c.Args) == 0 {
				t.Fatalf("Parse(%q) returned an empty command", src)
			}
		}
	})
}
