package fsum

import (
	"fmt"
	"strings"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/stages/sum"
)

// quote writes a name in a diagnostic as coreutils' quotef does.
func quote(s string) string { return cli.Quote(s) }

// checkName is a file name as sha256sum -c 9.1 prints it before ": OK":
// escaped, after a backslash, when it holds a newline. On a terminal
// (tty) fsum also escapes every other control character, as \ooo, so that
// a hostile name cannot drive the terminal.
func checkName(name string, tty bool) string {
	esc := strings.ContainsRune(name, '\n')
	if tty && !esc {
		esc = strings.ContainsFunc(name, isControl)
	}
	if !esc {
		return name
	}
	e := sum.Escape(name)
	if tty {
		var b strings.Builder
		for i := 0; i < len(e); i++ {
			if isControl(rune(e[i])) {
				fmt.Fprintf(&b, `\%03o`, e[i])
			} else {
				b.WriteByte(e[i])
			}
		}
		e = b.String()
	}
	return `\` + e
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
