package cli

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Quote writes a name in a diagnostic as coreutils' quotef does (gnulib's
// shell-escape quoting, in a UTF-8 locale): as it is when the shell would
// take it as it is, else in single quotes (double quotes when the only
// problem is a single quote), with control characters and invalid bytes
// outside the quotes as $'\n' or $'\ooo'.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	needs, ctrl, squote, dqBad := false, false, false, false
	for i, r := range s {
		switch {
		case r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ':
			needs, ctrl = true, true
		case r == '\'':
			needs, squote = true, true
		case strings.ContainsRune(" !\"$&()*;<=>?[\\^`|", r):
			needs = true
			if strings.ContainsRune("\"$\\`!", r) {
				dqBad = true
			}
		case (r == '#' || r == '~') && i == 0:
			needs = true
		case (r == '{' || r == '}') && len(s) == 1:
			needs = true
		}
	}
	if !needs {
		return s
	}
	if squote && !ctrl && !dqBad {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('\'')
	lastCtrl := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		lastCtrl = false
		switch {
		case r == utf8.RuneError && n <= 1 || !unicode.IsPrint(r) && r != ' ':
			b.WriteString(`'$'`)
			for _, c := range []byte(s[i : i+n]) {
				b.WriteString(cEscape(c))
			}
			b.WriteString(`''`)
			lastCtrl = true
		case r == '\'':
			b.WriteString(`'\''`)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	if lastCtrl { // 'e'$'\n' rather than 'e'$'\n'''
		return strings.TrimSuffix(b.String(), "'")
	}
	b.WriteByte('\'')
	return b.String()
}

func cEscape(c byte) string {
	switch c {
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\v':
		return `\v`
	}
	return fmt.Sprintf(`\%03o`, c)
}

// escapeControls writes each control character of s as a C escape, so
// that s prints as one line that cannot drive a terminal.
func escapeControls(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isControl(rune(s[i])) {
			b.WriteString(cEscape(s[i]))
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
