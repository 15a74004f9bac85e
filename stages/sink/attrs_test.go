package sink_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/fpipe/fpipe/stages/sink"
)

// TestTimes: Times sets the committed file's access and modification
// times, to the nanosecond, on a new file and over an existing one; a zero
// atime leaves the access time alone.
func TestTimes(t *testing.T) {
	t.Parallel()
	mtime := time.Date(2001, 2, 3, 4, 5, 6, 789, time.UTC)
	atime := time.Date(2002, 3, 4, 5, 6, 7, 890, time.UTC)
	for _, tc := range []struct {
		name     string
		existing bool
		atime    time.Time
	}{
		{"new file", false, atime},
		{"over an existing file", true, atime},
		{"mtime only", false, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := filepath.Join(t.TempDir(), "out")
			if tc.existing {
				writeFile(t, name, "old", 0o644)
			}
			before := time.Now()
			commitBytes(t, name, "new", sink.Times(tc.atime, mtime))
			fi, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			if !fi.ModTime().Equal(mtime) {
				t.Errorf("mtime %v, want %v", fi.ModTime(), mtime)
			}
			st := fi.Sys().(*syscall.Stat_t)
			at := time.Unix(st.Atim.Unix())
			switch {
			case !tc.atime.IsZero() && !at.Equal(tc.atime):
				t.Errorf("atime %v, want %v", at, tc.atime)
			case tc.atime.IsZero() && at.Before(before.Add(-time.Second)):
				t.Errorf("atime %v, want the time of the writes (after %v)", at, before)
			}
		})
	}
	if err := sink.CheckOptions(sink.Times(atime, time.Time{})); err == nil {
		t.Errorf("CheckOptions(Times(atime, zero)) = nil, want an error")
	}
}

// TestOwner: as root, Owner gives a new file and a replaced one the owner
// asked for, whatever the replaced one had; as another user, a foreign
// owner is not an error (the file keeps the writer's).
func TestOwner(t *testing.T) {
	t.Parallel()
	for _, existing := range []bool{false, true} {
		name := filepath.Join(t.TempDir(), "out")
		if existing {
			writeFile(t, name, "old", 0o640)
		}
		commitBytes(t, name, "new", sink.Owner(65534, 65534), sink.Mode(0o640))
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if os.Geteuid() == 0 && (st.Uid != 65534 || st.Gid != 65534) {
			t.Errorf("existing %v: owner %d:%d, want 65534:65534", existing, st.Uid, st.Gid)
		}
		if os.Geteuid() != 0 && int(st.Uid) != os.Geteuid() {
			t.Errorf("existing %v: owner %d, want the writer's %d", existing, st.Uid, os.Geteuid())
		}
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("existing %v: mode %v, want 0640 (set after the owner)", existing, fi.Mode())
		}
	}
	if err := sink.CheckOptions(sink.Owner(-1, 0)); err == nil {
		t.Errorf("CheckOptions(Owner(-1, 0)) = nil, want an error")
	}
}
