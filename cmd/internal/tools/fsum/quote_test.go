package fsum

import "testing"

// The expected forms are what GNU ls --quoting-style=shell-escape (gnulib's
// quotearg, which sha256sum's quotef uses) prints in C.UTF-8.
func TestQuote(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"plain", "plain"},
		{"", "''"},
		{"a b", "'a b'"},
		{"a-b", "a-b"},
		{"-x", "-x"},
		{"a#b", "a#b"},
		{"#x", "'#x'"},
		{"~x", "'~x'"},
		{"a~b", "a~b"},
		{"{x", "{x"},
		{"{", "'{'"},
		{"x=", "'x='"},
		{"a%b", "a%b"},
		{"a]b", "a]b"},
		{"a[b", "'a[b'"},
		{`a\b`, `'a\b'`},
		{"a'b", `"a'b"`},
		{"a'b c", `"a'b c"`},
		{"a'b$", `'a'\''b$'`},
		{"'", `"'"`},
		{"é", "é"},
		{"é b", "'é b'"},
		{"\xff", `''$'\377'`},
		{"\x7f", `''$'\177'`},
		{"e\n", `'e'$'\n'`},
		{"e\x1bx", `'e'$'\033''x'`},
		{"a\tb'c", `'a'$'\t''b'\''c'`},
		{"gone\nline", `'gone'$'\n''line'`},
		{"missing file", "'missing file'"},
	} {
		if got := quote(c.in); got != c.want {
			t.Errorf("quote(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		tty  bool
		want string
	}{
		{"plain", false, "plain"},
		{`b\s`, false, `b\s`},   // coreutils 9.1 escapes only names with a newline
		{"c\rr", false, "c\rr"}, // on a pipe, byte-identical to sha256sum -c
		{"n\nl\\", false, `\n\nl\\`},
		{"c\rr", true, `\c\rr`},
		{"e\x1b[31mx", true, `\e\033[31mx`},
		{"n\nl", true, `\n\nl`},
		{"é", true, "é"},
	} {
		if got := checkName(c.in, c.tty); got != c.want {
			t.Errorf("checkName(%q, %v) = %q, want %q", c.in, c.tty, got, c.want)
		}
	}
}
