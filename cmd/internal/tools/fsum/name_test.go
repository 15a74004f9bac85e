package fsum

import (
	"errors"
	"testing"

	"github.com/fpipe/fpipe/cmd/internal/cli"
)

func TestNameFromOut(t *testing.T) {
	t.Setenv("FPIPE_TIME", "2026-11-30T02:03:04Z")
	for _, c := range []struct {
		out, want string // want "": a usage error
	}{
		{"db.gz.sha256", "db.gz"},
		{"/backup/db.gz.sha512", "db.gz"},
		{"rel/dir/x.md5", "x"},
		{"x.sha1", "x"},
		{"x.b3", "x"},
		{"x.blake3", "x"},
		{"x.tar.blake3", "x.tar"},
		{"s3://bkt/path/db.sql.sha256", "db.sql"},
		{"db-{utcdate}.sql.sha256", "db-2026-11-30.sql"},
		{"a b\nc.sha256", "a b\nc"},
		{"x.sha256.sha256", "x.sha256"},
		{"x.sums", ""},
		{"x", ""},
		{"x.SHA256", ""},
		{"x.sha256.gz", ""},
		{".sha256", ""},
		{"dir/.md5", ""},
		{"...sha256", ""}, // "..": a folder
		{"..sha256", ""},
		{"{nope}.sha256", ""},
	} {
		got, err := nameFromOut(c.out)
		var ue *cli.UsageError
		switch {
		case c.want == "" && !errors.As(err, &ue):
			t.Errorf("nameFromOut(%q) = %q, %v; want a usage error", c.out, got, err)
		case c.want != "" && (err != nil || got != c.want):
			t.Errorf("nameFromOut(%q) = %q, %v; want %q", c.out, got, err, c.want)
		}
	}
}

func TestOutNameFromSink(t *testing.T) {
	t.Setenv("FPIPE_TIME", "2026-11-30T02:03:04Z")
	for _, c := range []struct{ out, sink, want string }{
		{"sums.sha256", "/data/db.sql.gz", "db.sql.gz"},
		{"plain", "d-{utcdate}.gz", "d-2026-11-30.gz"},
		{"x.sha256", "s3://bkt/k/db.gz", "db.gz"},
		{"x.sha256", "", "x"},
		{"x.sha256", "{nope}", "x"}, // fsink reports its own template
		{"x.sha256", "/", "x"},
		{"x.sha256", "..", "x"},
		{"plain", "", ""},
		{"plain", "..", ""},
	} {
		got, err := outName(c.out, c.sink)
		var ue *cli.UsageError
		switch {
		case c.want == "" && !errors.As(err, &ue):
			t.Errorf("outName(%q, %q) = %q, %v; want a usage error", c.out, c.sink, got, err)
		case c.want != "" && (err != nil || got != c.want):
			t.Errorf("outName(%q, %q) = %q, %v; want %q", c.out, c.sink, got, err, c.want)
		}
	}
}
