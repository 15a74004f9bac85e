package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFreadPermissionDenied runs fread as an unprivileged user (root can
// read anything): the unreadable file is reported, the rest copied, exit 1.
func TestFreadPermissionDenied(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	secret := filepath.Join(dir, "secret")
	open := filepath.Join(dir, "open")
	os.WriteFile(secret, []byte("secret\n"), 0o600)
	os.WriteFile(open, []byte("open\n"), 0o644)
	c := exec.Command(bin("fread"), secret, open)
	if os.Geteuid() == 0 {
		// nobody:nogroup; the binary and the folders must be reachable.
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		for _, d := range []string{binDir, filepath.Dir(dir), dir} {
			os.Chmod(d, 0o755)
		}
	} else if f, err := os.Open(secret); err == nil {
		f.Close()
		t.Skip("this user can read a 0600 file of its own; cannot test permission denied")
	} else {
		os.Chmod(secret, 0o000)
	}
	out, err := c.Output()
	if exitCode(err) != 1 {
		t.Errorf("exit %d, want 1", exitCode(err))
	}
	if string(out) != "open\n" {
		t.Errorf("stdout %q, want %q", out, "open\n")
	}
	var ee *exec.ExitError
	if e, ok := err.(*exec.ExitError); ok {
		ee = e
	}
	if ee == nil || string(ee.Stderr) != "fread: "+secret+": permission denied\n" {
		t.Errorf("stderr %v, want the permission denied line", ee)
	}
}
