package fsink

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fpipe/fpipe/cmd/internal/dated"
)

func TestKeeperOld(t *testing.T) {
	tests := []struct {
		name     string
		template string
		base     string // the file just committed
		files    []string
		links    []string
		n        int
		want     []string // removed, newest first
	}{
		{
			name: "dates", template: "db-{date}.gz", base: "db-2026-11-30.gz", n: 3,
			files: []string{"db-2026-11-27.gz", "db-2026-11-28.gz", "db-2026-11-29.gz", "db-2026-10-01.gz", "db-2026-11-2.gz", "db-2026-11-29.gz.sha256"},
			want:  []string{"db-2026-11-27.gz", "db-2026-10-01.gz"},
		},
		{
			name: "time before date in the name", template: "{time}-{date}", base: "000000-2026-11-30", n: 2,
			files: []string{"235959-2026-11-29", "000001-2026-11-29", "120000-2026-11-28"},
			want:  []string{"000001-2026-11-29", "120000-2026-11-28"},
		},
		{
			name: "keep 1 removes every older one", template: "x{utcdate}T{utctime}", base: "x2026-11-30T010203", n: 1,
			files: []string{"x2026-11-30T010202", "x2025-01-01T000000"},
			want:  []string{"x2026-11-30T010202", "x2025-01-01T000000"},
		},
		{
			name: "later dates and links are not counted", template: "db-{date}", base: "db-2026-11-30", n: 2,
			files: []string{"db-2099-01-01", "db-2026-11-28", "db-2026-11-27"},
			links: []string{"db-2026-11-29"},
			want:  []string{"db-2026-11-27"},
		},
		{
			name: "fewer than n", template: "db-{date}", base: "db-2026-11-30", n: 7,
			files: []string{"db-2026-11-28"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range append(tt.files, tt.base) {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			for _, l := range tt.links {
				if err := os.Symlink(tt.base, filepath.Join(dir, l)); err != nil {
					t.Fatal(err)
				}
			}
			tmpl, err := dated.Parse(tt.template)
			if err != nil {
				t.Fatal(err)
			}
			d, err := os.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			k := &keeper{dir: d, base: tt.base, n: tt.n, match: tmpl.Base().Matcher("h")}
			got, err := k.old()
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("old() = %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}
