package sum

import (
	"encoding/hex"
	"errors"
	"strings"
)

// Format says how a sum line is written. The zero Format is sha256sum's
// default: "hex  name\n".
type Format struct {
	// Tag writes "SHA256 (name) = hex", as sha256sum --tag does.
	Tag bool
	// Binary marks the name with '*' ("hex *name"), as sha256sum -b does.
	// It changes nothing else, and is ignored with Tag.
	Binary bool
	// Zero ends the line with NUL instead of newline and never escapes
	// the name, as sha256sum -z does.
	Zero bool
}

// AppendLine appends the sum line of digest (of algorithm a, for the file
// name) to dst, with its line end, and returns the extended slice.
//
// Names are escaped as GNU coreutils 9.1 escapes them: a name with a
// backslash, newline or carriage return gets a backslash at the start of
// the line, and those three characters are written \\, \n and \r. Untagged
// BLAKE3 lines follow b3sum instead (coreutils has no BLAKE3): only
// backslash and newline are escaped, and a carriage return is written as
// it is. With Zero nothing is escaped.
func (f Format) AppendLine(dst []byte, a Algorithm, digest []byte, name string) []byte {
	esc, set := false, "\\\n\r"
	if !f.Zero {
		if a == BLAKE3 && !f.Tag {
			set = "\\\n"
		}
		esc = strings.ContainsAny(name, set)
	}
	if esc {
		dst = append(dst, '\\')
	}
	if f.Tag {
		dst = append(dst, a.Tag()...)
		dst = append(dst, " ("...)
		dst = appendName(dst, name, esc, set)
		dst = append(dst, ") = "...)
		dst = hex.AppendEncode(dst, digest)
	} else {
		dst = hex.AppendEncode(dst, digest)
		if f.Binary {
			dst = append(dst, " *"...)
		} else {
			dst = append(dst, "  "...)
		}
		dst = appendName(dst, name, esc, set)
	}
	if f.Zero {
		return append(dst, 0)
	}
	return append(dst, '\n')
}

// NeedsEscape reports whether coreutils escapes name in a sum line: whether
// it holds a backslash, a newline or a carriage return.
func NeedsEscape(name string) bool { return strings.ContainsAny(name, "\\\n\r") }

// Escape returns name with backslash, newline and carriage return written
// as \\, \n and \r, as in a sum line that starts with a backslash. Other
// bytes are kept.
func Escape(name string) string { return string(appendName(nil, name, true, "\\\n\r")) }

// appendName appends name, with the characters of set escaped if esc.
func appendName(dst []byte, name string, esc bool, set string) []byte {
	if !esc {
		return append(dst, name...)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if strings.IndexByte(set, c) < 0 {
			dst = append(dst, c)
			continue
		}
		switch c {
		case '\\':
			dst = append(dst, `\\`...)
		case '\n':
			dst = append(dst, `\n`...)
		case '\r':
			dst = append(dst, `\r`...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// ErrBadEscape is Unescape's error.
var ErrBadEscape = errors.New("invalid backslash escape in file name")

// Unescape reverses Escape. As coreutils, it accepts only \\, \n and \r,
// and refuses a trailing lone backslash and a NUL byte.
func Unescape(s string) (string, error) {
	if !strings.ContainsAny(s, "\\\x00") {
		return s, nil
	}
	b, err := appendUnescaped(make([]byte, 0, len(s)), []byte(s))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// appendUnescaped appends s, unescaped as Unescape does, to dst.
func appendUnescaped(dst, s []byte) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case 0:
			return nil, ErrBadEscape
		case '\\':
			if i+1 == len(s) {
				return nil, ErrBadEscape
			}
			i++
			switch s[i] {
			case '\\':
				c = '\\'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			default:
				return nil, ErrBadEscape
			}
		}
		dst = append(dst, c)
	}
	return dst, nil
}
