package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFsinkKeepRemoveFails checks that an old file that cannot be removed
// gets a warning and leaves the commit and the exit status alone.
func TestFsinkKeepRemoveFails(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for chattr +i")
	}
	if _, err := exec.LookPath("chattr"); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	old := filepath.Join(dir, "db-2026-11-01.gz")
	if err := os.WriteFile(old, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chattr", "+i", old).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v: %s", err, out) // a file system without the flag
	}
	defer exec.Command("chattr", "-i", old).Run()
	cmd := exec.Command("fsink", "--keep", "1", filepath.Join(dir, "db-{date}.gz"))
	cmd.Env = append(os.Environ(), "FPIPE_TIME=2026-11-30T12:00:00Z", "TZ=UTC")
	cmd.Stdin = strings.NewReader("new\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("fsink --keep 1 with an old file it cannot remove: %v, want exit 0", err)
	}
	want := "fsink: warning: " + old + ": operation not permitted; not removed (--keep)\n"
	if string(out) != want {
		t.Errorf("stderr %q, want %q", out, want)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "db-2026-11-30.gz")); err != nil || string(b) != "new\n" {
		t.Errorf("the new backup: %q, %v", b, err)
	}
	if _, err := os.Stat(old); err != nil {
		t.Errorf("the old file: %v", err)
	}
}
