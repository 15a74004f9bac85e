package dated

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var at = time.Date(2026, 3, 7, 4, 5, 6, 0, time.UTC)

func TestExpand(t *testing.T) {
	t.Setenv("TZ", "UTC")
	tests := []struct{ in, want string }{
		{"/b/db.gz", "/b/db.gz"},
		{"/b/db-{date}.gz", "/b/db-2026-03-07.gz"},
		{"db-{date}T{time}", "db-2026-03-07T040506"},
		{"{host}/{utcdate}-{utctime}", "web1/2026-03-07-040506"},
		{"a{{date}}b", "a{date}b"},
		{"a}b", "a}b"},
		{"a{{", "a{"},
		{"", ""},
	}
	for _, tt := range tests {
		tmpl, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q) = %v", tt.in, err)
			continue
		}
		if got := tmpl.Expand(at, "web1"); got != tt.want {
			t.Errorf("Parse(%q).Expand = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"{", "a{date", "{dat}", "{Date}", "{ date}", "x{}", "{date}{"} {
		if _, err := Parse(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", in, err)
		}
	}
}

func TestBaseAndDated(t *testing.T) {
	tests := []struct {
		in, base          string
		dated, folderDate bool
	}{
		{"/b/db-{date}.gz", "db-2026-03-07.gz", true, false},
		{"/b/{date}/db.gz", "db.gz", false, true},
		{"/b/{host}/db-{time}", "db-040506", true, false},
		{"db-{host}", "db-web1", false, false},
		{"{date}", "2026-03-07", true, false},
		{"/{date}", "2026-03-07", true, false},
		{"a/b{date}c/d{time}", "d040506", true, true},
	}
	for _, tt := range tests {
		tmpl, err := Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		b := tmpl.Base()
		if got := b.Expand(at, "web1"); got != tt.base {
			t.Errorf("Parse(%q).Base() = %q, want %q", tt.in, got, tt.base)
		}
		if got := b.Dated(); got != tt.dated {
			t.Errorf("Parse(%q).Base().Dated() = %v, want %v", tt.in, got, tt.dated)
		}
		if got := tmpl.FolderDated(); got != tt.folderDate {
			t.Errorf("Parse(%q).FolderDated() = %v, want %v", tt.in, got, tt.folderDate)
		}
	}
}

func TestMatcher(t *testing.T) {
	tmpl, err := Parse("db-{host}-{date}T{time}.sql.gz")
	if err != nil {
		t.Fatal(err)
	}
	m := tmpl.Matcher("web1")
	tests := []struct {
		name string
		key  string
		ok   bool
	}{
		{"db-web1-2026-03-07T040506.sql.gz", "2026-03-07T040506", true},
		{"db-web1-2026-03-07T040506.sql.gz.sha256", "", false}, // anchored
		{"xdb-web1-2026-03-07T040506.sql.gz", "", false},
		{".db-web1-2026-03-07T040506.sql.gz.1a2b3c.tmp", "", false}, // the sink's temporary file
		{"db-web2-2026-03-07T040506.sql.gz", "", false},             // another host
		{"db-web1-2026-3-07T040506.sql.gz", "", false},
		{"db-web1-2026-03-07T04050.sql.gz", "", false},
		{"db-web1-2026-03-07T040506xsql.gz", "", false}, // "." is literal
		{"db-web1-2026-03-07T04050٦.sql.gz", "", false}, // a non-ASCII digit
		{"db-web1-2026-03-07\nT040506.sql.gz", "", false},
	}
	for _, tt := range tests {
		key, ok := m.Key(tt.name)
		if key != tt.key || ok != tt.ok {
			t.Errorf("Key(%q) = %q, %v, want %q, %v", tt.name, key, ok, tt.key, tt.ok)
		}
	}
	// A placeholder written twice must have one value.
	tmpl, _ = Parse("{date}/x-{date}")
	m = tmpl.Base().Matcher("")
	if _, ok := m.Key("x-2026-03-07"); !ok {
		t.Errorf("Key(x-2026-03-07) not matched")
	}
	tmpl, _ = Parse("{date}-{date}")
	m = tmpl.Matcher("")
	if _, ok := m.Key("2026-03-07-2026-03-08"); ok {
		t.Errorf("Key of two different dates matched")
	}
	// Keys sort as the instants: date before time, whatever the order in
	// the name.
	tmpl, _ = Parse("{time}-{date}")
	m = tmpl.Matcher("")
	a, _ := m.Key("235959-2026-03-06")
	b, _ := m.Key("000000-2026-03-07")
	if !(a < b) {
		t.Errorf("Key order: %q !< %q", a, b)
	}
}

func TestParseTime(t *testing.T) {
	got, err := parseTime("1764460800")
	if err != nil || !got.Equal(time.Unix(1764460800, 0)) {
		t.Errorf("parseTime(seconds) = %v, %v", got, err)
	}
	got, err = parseTime("2026-03-07T04:05:06Z")
	if err != nil || !got.Equal(at) {
		t.Errorf("parseTime(RFC 3339) = %v, %v", got, err)
	}
	if _, err := parseTime("yesterday"); err == nil || !strings.Contains(err.Error(), EnvTime) {
		t.Errorf("parseTime(yesterday) = %v, want an error naming %s", err, EnvTime)
	}
}

// FuzzParse checks that whatever parses expands to a name the matcher of
// its file-name part recognizes, with no placeholder left over.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"/b/db-{date}.gz", "{{x}}", "{host}-{utcdate}T{utctime}", "a{", "}{time}{", "{date}{date}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tmpl, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q) = %v, not ErrSyntax", s, err)
			}
			return
		}
		name := tmpl.Base().Expand(at, "web1")
		if strings.Contains(name, "/") {
			t.Fatalf("Base of %q expands to %q, with a /", s, name)
		}
		if _, ok := tmpl.Base().Matcher("web1").Key(name); !ok {
			t.Fatalf("Parse(%q): the matcher does not recognize its own name %q", s, name)
		}
	})
}
