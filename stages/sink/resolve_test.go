package sink_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fpipe/fpipe/stages/sink"
)

// TestKernelResolution: the temporary file, the rename and the folder's
// fsync happen in the folder the kernel resolves, whatever links and ".."
// the path holds; Follow reads each link in the folder that holds it.
func TestKernelResolution(t *testing.T) {
	t.Parallel()
	// base/x/y, base/a -> x/y, base/x/y/link -> ../t (that is base/x/t).
	setup := func(t *testing.T) string {
		base := t.TempDir()
		if err := os.MkdirAll(filepath.Join(base, "x", "y"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, l := range [][2]string{{"x/y", "a"}, {"../t", "x/y/link"}, {"link", "x/y/link2"}, {"y/link2", "x/chain"}} {
			if err := os.Symlink(l[0], filepath.Join(base, l[1])); err != nil {
				t.Fatal(err)
			}
		}
		return base
	}
	tests := []struct {
		name   string
		path   string // relative to base
		opts   []sink.Option
		wantAt string // where the data must land, relative to base
	}{
		{"dotdot after a link", "a/../t", nil, "x/t"},
		{"dotdot after a link, appended", "a/../t", []sink.Option{sink.Append()}, "x/t"},
		{"Follow a relative link behind a link", "a/link", []sink.Option{sink.Follow()}, "x/t"},
		{"Follow a chain of links in two folders", "x/chain", []sink.Option{sink.Follow()}, "x/t"},
		{"Follow, appended", "a/link", []sink.Option{sink.Follow(), sink.Append()}, "x/t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := setup(t)
			path := base + "/" + tt.path // not filepath.Join: it would clean the ".."
			w := create(t, path, tt.opts...)
			if tmp := w.TempName(); tmp != "" {
				if _, err := os.Stat(filepath.Join(base, "x", filepath.Base(tmp))); err != nil {
					t.Errorf("temporary file %s is not in x: %v", tmp, err)
				}
			}
			w.Write([]byte("NEW"))
			if err := w.Commit(); err != nil {
				t.Fatalf("Commit() = %v", err)
			}
			if got := content(t, filepath.Join(base, tt.wantAt)); got != "NEW" {
				t.Errorf("%s = %q, want NEW", tt.wantAt, got)
			}
			for _, wrong := range []string{"t", "x/y/t"} {
				if _, err := os.Lstat(filepath.Join(base, wrong)); err == nil {
					t.Errorf("%s was written, want only %s", wrong, tt.wantAt)
				}
			}
			noTemps(t, filepath.Join(base, "x"))
			noTemps(t, base)
		})
	}
	t.Run("link loop", func(t *testing.T) {
		t.Parallel()
		base := t.TempDir()
		os.Symlink("l2", filepath.Join(base, "l1"))
		os.Symlink("l1", filepath.Join(base, "l2"))
		_, err := sink.Create(filepath.Join(base, "l1"), sink.Follow())
		if err == nil || !strings.Contains(err.Error(), "too many levels of symbolic links") {
			t.Errorf("Create(loop) = %v, want ELOOP", err)
		}
	})
	t.Run("link without Follow", func(t *testing.T) {
		t.Parallel()
		base := setup(t)
		_, err := sink.Create(base + "/a/link")
		if !errors.Is(err, sink.ErrSymlink) {
			t.Errorf("Create(link) = %v, want ErrSymlink", err)
		}
	})
}

// TestFolderRenamedMeanwhile: a folder renamed between Create and Commit
// does not split the work between two folders.
func TestFolderRenamedMeanwhile(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	os.Mkdir(filepath.Join(base, "d"), 0o755)
	w := create(t, filepath.Join(base, "d", "out"))
	if err := os.Rename(filepath.Join(base, "d"), filepath.Join(base, "e")); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(base, "d"), 0o755)
	w.Write([]byte("data"))
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit() = %v", err)
	}
	if got := content(t, filepath.Join(base, "e", "out")); got != "data" {
		t.Errorf("e/out = %q, want data (the folder the temporary file was in)", got)
	}
	if _, err := os.Lstat(filepath.Join(base, "d", "out")); err == nil {
		t.Errorf("d/out exists: the rename went to another folder than the temporary file")
	}
}

// TestDir: Dir opens the folder the commit renames into, even when the
// path's folder is renamed and replaced meanwhile, and fails once the
// Writer is done.
func TestDir(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := sink.Create(filepath.Join(base, "d", "f"))
	if err != nil {
		t.Fatal(err)
	}
	if w.Base() != "f" {
		t.Errorf("Base() = %q, want f", w.Base())
	}
	// The path's folder moves away and another takes its name.
	if err := os.Rename(filepath.Join(base, "d"), filepath.Join(base, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(base, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := w.Dir()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	names, err := d.Readdirnames(-1)
	if err != nil || len(names) != 1 || names[0] != "f" {
		t.Errorf("Dir() lists %q, %v, want [f] (the folder committed into)", names, err)
	}
	if _, err := os.Stat(filepath.Join(base, "moved", "f")); err != nil {
		t.Errorf("committed into the moved folder: %v", err)
	}
	if _, err := w.Dir(); err == nil {
		t.Errorf("Dir() after Commit succeeded, want an error")
	}
}
