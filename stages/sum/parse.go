package sum

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
)

// Line is one parsed line of a sum file.
type Line struct {
	Algorithm Algorithm // from the line's tag, or the Parser's default
	Digest    []byte
	Name      string // unescaped
	Tagged    bool   // "TAG (name) = hex"
	Binary    bool   // "hex *name"
}

// ErrMalformed is the error for a line that is not a sum line.
var ErrMalformed = errors.New("improperly formatted checksum line")

// errSkip marks a comment or an empty line.
var errSkip = errors.New("no sum on this line")

// Parser reads sum-file lines as GNU coreutils 9.1 (sha256sum -c) reads
// them, and b3sum's too:
//
//   - "hex  name" and "hex *name" (text and binary mode), with the digest in
//     either case, separated by a space or a tab;
//   - "TAG (name) = hex" (sha256sum --tag; spaces around "=" optional);
//   - BSD reversed "hex name" (md5 -r): the first untagged line of a file
//     decides whether it uses this form or the standard one, and lines of
//     the other form are then malformed;
//   - a leading backslash: the name is escaped (\\, \n, \r);
//   - leading blanks; a CRLF line end; empty lines and lines starting with
//     "#" hold no sum.
//
// A Parser holds the state of one sum file; it is not safe for concurrent use.
type Parser struct {
	def      Algorithm
	only     bool
	reversed int // -1: not known yet; 0: standard lines; 1: BSD reversed
}

// NewParser returns a Parser for one sum file. Untagged lines are of
// algorithm def (SHA256 when zero), and must have its digest length. Tagged
// lines name their algorithm; with only, tags other than def's are
// malformed, as in sha256sum.
func NewParser(def Algorithm, only bool) *Parser {
	if !def.Valid() {
		def = SHA256
	}
	return &Parser{def: def, only: only, reversed: -1}
}

// Parse parses one line, with or without its line end. It returns
// ok == false for a comment or an empty line, and ErrMalformed for a line
// that is not a sum line. The returned Line does not alias line.
func (p *Parser) Parse(line []byte) (l Line, ok bool, err error) {
	l, err = p.parse(line)
	if err == errSkip {
		return Line{}, false, nil
	}
	return l, err == nil, err
}

func (p *Parser) parse(s []byte) (Line, error) {
	if len(s) > 0 && s[0] == '#' {
		return Line{}, errSkip
	}
	s = bytes.TrimSuffix(s, []byte("\n"))
	s = bytes.TrimSuffix(s, []byte("\r"))
	if len(s) == 0 {
		return Line{}, errSkip
	}
	i := 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	escaped := false
	if i < len(s) && s[i] == '\\' {
		escaped = true
		i++
	}
	s = s[i:]
	for _, a := range All {
		tag := a.Tag()
		if !bytes.HasPrefix(s, []byte(tag)) {
			continue
		}
		k := len(tag)
		if k < len(s) && s[k] == ' ' {
			k++
		}
		if k < len(s) && s[k] == '(' {
			if p.only && a != p.def {
				return Line{}, ErrMalformed
			}
			return parseTagged(a, s[k+1:], escaped)
		}
	}

	a := p.def
	n := 2 * a.Size()
	if len(s) < n+2 || !isBlank(s[n]) {
		return Line{}, ErrMalformed
	}
	digest, ok := decodeHex(s[:n])
	if !ok {
		return Line{}, ErrMalformed
	}
	l := Line{Algorithm: a, Digest: digest}
	s = s[n+1:]
	if len(s) == 1 || (s[0] != ' ' && s[0] != '*') {
		if p.reversed == 0 {
			return Line{}, ErrMalformed
		}
		p.reversed = 1
	} else if p.reversed != 1 {
		p.reversed = 0
		l.Binary = s[0] == '*'
		s = s[1:]
	}
	name, err := name(s, escaped)
	if err != nil {
		return Line{}, err
	}
	l.Name = name
	return l, nil
}

// parseTagged parses what follows "TAG (": "name) = hex".
func parseTagged(a Algorithm, s []byte, escaped bool) (Line, error) {
	end := bytes.LastIndexByte(s, ')')
	if end < 0 {
		return Line{}, ErrMalformed
	}
	nm, err := name(s[:end], escaped)
	if err != nil {
		return Line{}, err
	}
	s = s[end+1:]
	s = bytes.TrimLeft(s, " \t")
	if len(s) == 0 || s[0] != '=' {
		return Line{}, ErrMalformed
	}
	s = bytes.TrimLeft(s[1:], " \t")
	if len(s) != 2*a.Size() {
		return Line{}, ErrMalformed
	}
	digest, ok := decodeHex(s)
	if !ok {
		return Line{}, ErrMalformed
	}
	return Line{Algorithm: a, Digest: digest, Name: nm, Tagged: true}, nil
}

func name(s []byte, escaped bool) (string, error) {
	if !escaped {
		if bytes.IndexByte(s, 0) >= 0 {
			return "", ErrMalformed
		}
		return string(s), nil
	}
	n, err := Unescape(string(s))
	if err != nil {
		return "", ErrMalformed
	}
	return n, nil
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// decodeHex decodes hex digits of either case.
func decodeHex(s []byte) ([]byte, bool) {
	d := make([]byte, len(s)/2)
	if _, err := hex.Decode(d, s); err != nil || len(s)%2 != 0 {
		return nil, false
	}
	return d, true
}

// MaxLineLength is the longest sum-file line a Scanner reads; a longer
// line is malformed. It allows a 4096-byte path with every byte escaped.
const MaxLineLength = 16 << 10

// Scanner reads the lines of a sum file one by one, with a fixed buffer.
type Scanner struct {
	br     *bufio.Reader
	p      *Parser
	lineNo int
	err    error
}

// NewScanner returns a Scanner that reads r and parses its lines with p.
func NewScanner(r io.Reader, p *Parser) *Scanner {
	return &Scanner{br: bufio.NewReaderSize(r, MaxLineLength), p: p}
}

// Next returns the next sum line. It skips comments and empty lines,
// returns ErrMalformed (Line() tells which) for a line that is not a sum
// line, and io.EOF at the end; any other error is the reader's, and sticks.
func (s *Scanner) Next() (Line, error) {
	for s.err == nil {
		b, err := s.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// Too long: skip to the end of the line.
			for err == bufio.ErrBufferFull {
				_, err = s.br.ReadSlice('\n')
			}
			if err != nil && err != io.EOF {
				s.err = err
				break
			}
			s.lineNo++
			return Line{}, ErrMalformed
		}
		if err != nil {
			s.err = err
			if len(b) == 0 {
				break
			}
		}
		s.lineNo++
		l, perr := s.p.parse(b)
		if perr == errSkip {
			continue
		}
		return l, perr
	}
	return Line{}, s.err
}

// Line is the number of the line that Next last returned, from 1.
func (s *Scanner) Line() int { return s.lineNo }
