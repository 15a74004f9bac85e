package tests

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestProbeFilesNoXattrs: the file mode keeps mode, owner and times, but,
// like gzip, not extended attributes (the man pages say so).
func TestProbeFilesNoXattrs(t *testing.T) {
	for _, tc := range []struct {
		tool, suffix string
		args         []string
	}{{"fgz", ".gz", nil}, {"fzst", ".zst", []string{"--rm"}}} {
		t.Run(tc.tool, func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, "f")
			if err := os.WriteFile(name, []byte("hello\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := unix.Setxattr(name, "user.probe", []byte("v"), 0); err != nil {
				t.Skipf("no user xattrs here: %v", err)
			}
			if out, err := exec.Command(bin(tc.tool), append(tc.args, name)...).CombinedOutput(); err != nil {
				t.Fatalf("%s %v f: %v\n%s", tc.tool, tc.args, err, out)
			}
			if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s %v f: the original is still there (err %v)", tc.tool, tc.args, err)
			}
			_, err := unix.Getxattr(name+tc.suffix, "user.probe", make([]byte, 8))
			if !errors.Is(err, unix.ENODATA) {
				t.Errorf("%s f: xattr on the output: err %v, want ENODATA (not copied)", tc.tool, err)
			}
		})
	}
}
