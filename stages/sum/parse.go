package sum

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
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

	digest []byte // the last RawLine's digest
	name   []byte // the last RawLine's unescaped name
}

// RawLine is a parsed sum line whose Digest and Name are views of the
// Parser's buffers or of the parsed bytes: valid until the next line is
// parsed. Reading a sum file through RawLines allocates nothing per line.
type RawLine struct {
	Algorithm Algorithm
	Digest    []byte
	Name      []byte // unescaped
	Tagged    bool
	Binary    bool
}

// Line returns a copy of r that aliases nothing.
func (r RawLine) Line() Line {
	return Line{Algorithm: r.Algorithm, Digest: bytes.Clone(r.Digest), Name: string(r.Name), Tagged: r.Tagged, Binary: r.Binary}
}

// NewParser returns a Parser for one sum file, whose untagged lines are of
// algorithm def (SHA256 when zero) or found by their length.
//
// With only (the user named the algorithm, as sha256sum's name does),
// untagged lines must have def's digest length, and tags other than def's
// are malformed, as in sha256sum.
//
// Without only, tagged lines name their algorithm, and an untagged line's
// digest length names it where one algorithm has that length: 8 hex digits
// CRC32C, 32 MD5, 40 SHA1, 128 SHA512. 64 digits are both SHA256 and
// BLAKE3, so they are def's if def has that length, else SHA256; nothing in
// the line tells the two apart.
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
	r, err := p.parse(line)
	if err == errSkip {
		return Line{}, false, nil
	}
	if err != nil {
		return Line{}, false, err
	}
	return r.Line(), true, nil
}

func (p *Parser) parse(s []byte) (RawLine, error) {
	if len(s) > 0 && s[0] == '#' {
		return RawLine{}, errSkip
	}
	s = bytes.TrimSuffix(s, []byte("\n"))
	s = bytes.TrimSuffix(s, []byte("\r"))
	if len(s) == 0 {
		return RawLine{}, errSkip
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
				return RawLine{}, ErrMalformed
			}
			return p.parseTagged(a, s[k+1:], escaped)
		}
	}

	a := p.untagged(s)
	n := 2 * a.Size()
	if len(s) < n+2 || !isBlank(s[n]) {
		return RawLine{}, ErrMalformed
	}
	if !p.decodeHex(s[:n]) {
		return RawLine{}, ErrMalformed
	}
	l := RawLine{Algorithm: a, Digest: p.digest}
	s = s[n+1:]
	if len(s) == 1 || (s[0] != ' ' && s[0] != '*') {
		if p.reversed == 0 {
			return RawLine{}, ErrMalformed
		}
		p.reversed = 1
	} else if p.reversed != 1 {
		p.reversed = 0
		l.Binary = s[0] == '*'
		s = s[1:]
	}
	name, err := p.unescapeName(s, escaped)
	if err != nil {
		return RawLine{}, err
	}
	l.Name = name
	return l, nil
}

// untagged returns the algorithm of the untagged line s: def, or, without
// only, the one that the length of its first word names (see NewParser).
// The caller checks that the line has that algorithm's length.
func (p *Parser) untagged(s []byte) Algorithm {
	if p.only {
		return p.def
	}
	n := bytes.IndexAny(s, " \t")
	switch {
	case n == 2*p.def.Size():
		return p.def
	case n == 2*SHA256.Size():
		return SHA256
	}
	for _, a := range byLength {
		if n == 2*a.Size() {
			return a
		}
	}
	return p.def
}

// byLength lists the algorithms that an untagged digest's length names
// alone; SHA256 and BLAKE3 share theirs.
var byLength = []Algorithm{CRC32C, MD5, SHA1, SHA512}

// parseTagged parses what follows "TAG (": "name) = hex".
func (p *Parser) parseTagged(a Algorithm, s []byte, escaped bool) (RawLine, error) {
	end := bytes.LastIndexByte(s, ')')
	if end < 0 {
		return RawLine{}, ErrMalformed
	}
	nm, err := p.unescapeName(s[:end], escaped)
	if err != nil {
		return RawLine{}, err
	}
	s = s[end+1:]
	s = bytes.TrimLeft(s, " \t")
	if len(s) == 0 || s[0] != '=' {
		return RawLine{}, ErrMalformed
	}
	s = bytes.TrimLeft(s[1:], " \t")
	if len(s) != 2*a.Size() || !p.decodeHex(s) {
		return RawLine{}, ErrMalformed
	}
	return RawLine{Algorithm: a, Digest: p.digest, Name: nm, Tagged: true}, nil
}

// unescapeName returns the name s, unescaped into p.name if escaped.
func (p *Parser) unescapeName(s []byte, escaped bool) ([]byte, error) {
	if !escaped {
		if bytes.IndexByte(s, 0) >= 0 {
			return nil, ErrMalformed
		}
		return s, nil
	}
	n, err := appendUnescaped(p.name[:0], s)
	if err != nil {
		return nil, ErrMalformed
	}
	p.name = n
	return n, nil
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// decodeHex decodes hex digits of either case into p.digest.
func (p *Parser) decodeHex(s []byte) bool {
	if len(s)%2 != 0 {
		return false
	}
	p.digest = slices.Grow(p.digest[:0], len(s)/2)[:len(s)/2]
	_, err := hex.Decode(p.digest, s)
	return err == nil
}

// MaxLineLength is the longest sum-file line a Scanner reads; a longer
// line is malformed. It allows a 4096-byte path with every byte escaped.
const MaxLineLength = 16 << 10

// ErrLongLine is the error for a line longer than MaxLineLength; it is
// also ErrMalformed (errors.Is).
var ErrLongLine = fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxLineLength)

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
// line (ErrLongLine for one longer than MaxLineLength, which is skipped
// without being kept), and io.EOF at the end; any other error is the reader's, and sticks.
func (s *Scanner) Next() (Line, error) {
	r, err := s.NextRaw()
	if err != nil {
		return Line{}, err
	}
	return r.Line(), nil
}

// NextRaw is Next without a copy: the RawLine is valid until the next call.
func (s *Scanner) NextRaw() (RawLine, error) {
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
			return RawLine{}, ErrLongLine
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
	return RawLine{}, s.err
}

// Line is the number of the line that Next last returned, from 1.
func (s *Scanner) Line() int { return s.lineNo }
