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

func FuzzParse(f *testing.F) {
	for _, s := range []string{"fread a | fgz -9 | fsink b", `fread "a b" 'c' d\ e`, "fread a > b", "fread $X | x", "# c\nfread a \\\n | fsink b", "fread *", "a|b|c|d"} {
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
		for _, c := range cmds {
			if len(c.Args) == 0 {
				t.Fatalf("Parse(%q) returned an empty command", src)
			}
		}
	})
}
