// Package dated expands the placeholders of a dated file name
// ("/backup/db-{date}.sql.gz") and finds the files that one name template
// made, for retention (fsink --keep).
//
// Placeholders, all of fixed width so that names sort by their dates:
//
//	{date}     local date, 2006-01-02
//	{time}     local time, 150405 (hours, minutes, seconds)
//	{utcdate}  date in UTC, 2006-01-02
//	{utctime}  time in UTC, 150405
//	{host}     the host name up to its first dot
//
// "{{" is a literal "{" and "}}" a literal "}"; any other "{" must start
// one of the placeholders, and a lone "}" is literal.
package dated

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// kind is a placeholder.
type kind int

const (
	literal kind = iota
	date
	clock
	utcDate
	utcClock
	host
)

var names = map[string]kind{
	"date": date, "time": clock, "utcdate": utcDate, "utctime": utcClock, "host": host,
}

// Names lists the placeholders, for messages and help.
const Names = "{date} {time} {utcdate} {utctime} {host}"

// part is one piece of a template: a literal text or a placeholder.
type part struct {
	k    kind
	text string // the literal text
}

// Template is a parsed name template. The zero value is not useful.
type Template struct {
	src   string
	parts []part
}

// ErrSyntax is the error of a template that does not parse.
var ErrSyntax = errors.New("bad name template")

// Parse parses s. It fails, wrapping ErrSyntax, on a "{" that is neither
// "{{" nor the start of a known placeholder.
func Parse(s string) (*Template, error) {
	t := &Template{src: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{k: literal, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if strings.HasPrefix(s[i:], "}}") {
			lit.WriteByte('}')
			i += 2
			continue
		}
		if c != '{' {
			lit.WriteByte(c)
			i++
			continue
		}
		if strings.HasPrefix(s[i:], "{{") {
			lit.WriteByte('{')
			i += 2
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("%w: %s: unclosed { (write {{ for a literal {)", ErrSyntax, strconv.Quote(s))
		}
		name := s[i+1 : i+end]
		k, ok := names[name]
		if !ok {
			return nil, fmt.Errorf("%w: %s: unknown placeholder %s (known: %s; write {{ for a literal {)", ErrSyntax, strconv.Quote(s), strconv.Quote("{"+name+"}"), Names)
		}
		flush()
		t.parts = append(t.parts, part{k: k})
		i += end + 1
	}
	flush()
	return t, nil
}

// String returns the template as it was written.
func (t *Template) String() string { return t.src }

// HasPlaceholders reports whether t has any placeholder.
func (t *Template) HasPlaceholders() bool {
	for _, p := range t.parts {
		if p.k != literal {
			return true
		}
	}
	return false
}

// Expand returns the name t makes at the instant now on host h.
func (t *Template) Expand(now time.Time, h string) string {
	var b strings.Builder
	for _, p := range t.parts {
		b.WriteString(p.value(now, h))
	}
	return b.String()
}

func (p part) value(now time.Time, h string) string {
	switch p.k {
	case date:
		return now.Local().Format("2006-01-02")
	case clock:
		return now.Local().Format("150405")
	case utcDate:
		return now.UTC().Format("2006-01-02")
	case utcClock:
		return now.UTC().Format("150405")
	case host:
		return h
	}
	return p.text
}

// Base returns the file-name part of t: what follows its last "/", as the
// sink cuts a path.
func (t *Template) Base() *Template {
	i := len(t.parts) - 1
	var tail []part
	for ; i >= 0; i-- {
		p := t.parts[i]
		if p.k == literal {
			if j := strings.LastIndexByte(p.text, '/'); j >= 0 {
				if rest := p.text[j+1:]; rest != "" {
					tail = append(tail, part{k: literal, text: rest})
				}
				break
			}
		}
		tail = append(tail, p)
	}
	for l, r := 0, len(tail)-1; l < r; l, r = l+1, r-1 {
		tail[l], tail[r] = tail[r], tail[l]
	}
	return &Template{src: t.src, parts: tail}
}

// HasHost reports whether t has a {host} placeholder.
func (t *Template) HasHost() bool {
	for _, p := range t.parts {
		if p.k == host {
			return true
		}
	}
	return false
}

// Dated reports whether t has a date or time placeholder.
func (t *Template) Dated() bool {
	for _, p := range t.parts {
		if p.k != literal && p.k != host {
			return true
		}
	}
	return false
}

// FolderDated reports whether the folder part of t (before its last "/")
// has a placeholder other than {host}: then each run may write in another
// folder.
func (t *Template) FolderDated() bool {
	base := t.Base()
	n := len(t.parts) - len(base.parts)
	for _, p := range t.parts[:n] {
		if p.k != literal && p.k != host {
			return true
		}
	}
	return false
}

// Matcher recognizes the file names a file-name template made on one host.
// Every placeholder has a fixed width, so a name matches in one pass, byte
// by byte: any bytes a file name may hold (not only UTF-8) are compared
// exactly, as an anchored regular expression would compare valid text.
type Matcher struct {
	parts []part
	host  string
}

// Matcher returns the matcher of the names t makes on host h: each literal
// part as it is, {host} as h, and each date or time as exactly its digits,
// over the whole name. t should be a file-name template (Base).
func (t *Template) Matcher(h string) *Matcher {
	return &Matcher{parts: t.parts, host: h}
}

// shape is the form of a placeholder's value: d a digit, anything else
// itself.
var shapes = map[kind]string{
	date:     "dddd-dd-dd",
	clock:    "dddddd",
	utcDate:  "dddd-dd-dd",
	utcClock: "dddddd",
}

// Key returns the sort key of name, and whether name is one the template
// makes: the dates of the name, then its times, so that keys sort as the
// instants they name. A placeholder written twice must have one value.
func (m *Matcher) Key(name string) (key string, ok bool) {
	seen := map[kind]string{}
	rest := name
	for _, p := range m.parts {
		var lit string
		switch p.k {
		case literal:
			lit = p.text
		case host:
			lit = m.host
		default:
			shape := shapes[p.k]
			if len(rest) < len(shape) {
				return "", false
			}
			v := rest[:len(shape)]
			for i := range len(shape) {
				if c := v[i]; shape[i] == 'd' && (c < '0' || c > '9') || shape[i] != 'd' && c != shape[i] {
					return "", false
				}
			}
			if old, dup := seen[p.k]; dup && old != v {
				return "", false
			}
			seen[p.k] = v
			rest = rest[len(shape):]
			continue
		}
		if !strings.HasPrefix(rest, lit) {
			return "", false
		}
		rest = rest[len(lit):]
	}
	if rest != "" {
		return "", false
	}
	return seen[date] + seen[utcDate] + "T" + seen[clock] + seen[utcClock], true
}

var (
	nowOnce sync.Once
	now     time.Time
	nowErr  error
)

// EnvTime is the environment variable that fixes Now, for tests and for a
// shell pipe whose tools must name their outputs with one instant: Unix
// seconds ("1764460800") or RFC 3339 ("2025-11-30T02:00:00Z").
const EnvTime = "FPIPE_TIME"

// Now is the instant every template of this process expands with: the
// first call's clock (or $FPIPE_TIME), the same for all outputs of one
// fpipe pipeline, whose tools run in one process. Safe for concurrent use.
func Now() (time.Time, error) {
	nowOnce.Do(func() {
		now = time.Now()
		if v, ok := os.LookupEnv(EnvTime); ok {
			now, nowErr = parseTime(v)
		}
	})
	return now, nowErr
}

func parseTime(v string) (time.Time, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("$%s=%s: not Unix seconds or an RFC 3339 time", EnvTime, strconv.Quote(v))
	}
	return t, nil
}

// Host is the host name up to its first dot.
func Host() (string, error) {
	h, err := os.Hostname()
	if err != nil {
		return "", err
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return h, nil
}

// ExpandNow expands t with Now and Host; it is what fsink and fsum -o do
// with their destination.
func ExpandNow(t *Template) (string, error) {
	if !t.HasPlaceholders() {
		return t.Expand(time.Time{}, ""), nil
	}
	n, err := Now()
	if err != nil {
		return "", err
	}
	var h string
	for _, p := range t.parts {
		if p.k == host {
			if h, err = Host(); err != nil {
				return "", fmt.Errorf("{host}: %w", err)
			}
			break
		}
	}
	return t.Expand(n, h), nil
}

// Expand parses s and expands it with Now and Host: the destination a tool
// writes. A template that does not parse is an error wrapping ErrSyntax.
func Expand(s string) (string, error) {
	t, err := Parse(s)
	if err != nil {
		return "", err
	}
	return ExpandNow(t)
}
