package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
)

// relFiles: fgz FILE and fzst --rm FILE under faults. Whatever fails
// before the commit, FILE keeps its bytes and inode, and neither an output
// nor a temporary file is left; a failure to remove FILE after the commit
// keeps both and exits 1.
func relFiles(t *testing.T) {
	data := randBytes(21, 1500000)
	data = append(data, bytes.Repeat([]byte("compressible\n"), 100000)...)
	type fault struct {
		name, trace string
		inject      []string
		want        string // stderr must contain this
		committed   bool   // the output is committed, FILE kept
	}
	faults := []fault{
		{name: "fsync-EIO", trace: "fsync", inject: []string{"fsync:error=EIO:when=1"},
			want: "fsync: input/output error; destination left unchanged"},
		{name: "rename-EXDEV", trace: "rename,renameat,renameat2", inject: []string{"rename,renameat,renameat2:error=EXDEV"},
			want: "invalid cross-device link"},
		{name: "unlink-EPERM", trace: "unlink,unlinkat", inject: []string{"unlink,unlinkat:error=EPERM"},
			want: "output written, but the original is not removed: operation not permitted", committed: true},
	}
	for _, ft := range fileTools {
		argv := append([]string{bin(ft.tool)}, removeFlags(ft.tool)...)
		argv = append(argv, "a")
		for _, f := range faults {
			expected := "exit 1, the error named; a intact (bytes, inode), no output, no temp left"
			if f.committed {
				expected = "exit 1, the error named; the output committed and whole, a intact"
			}
			inj := "strace -e inject=" + strings.Join(f.inject, " -e inject=")
			relCase(t, ft.tool+"/"+f.name, ft.tool, inj, expected, func(t *testing.T) string {
				prefix := straceInject(t, f.trace, f.inject...)
				dir := t.TempDir()
				a := filepath.Join(dir, "a")
				os.WriteFile(a, data, 0o644)
				ino := stagetest.Inode(t, a)
				r := relRun(t, dir, nil, append(prefix, argv...)...)
				if r.code != 1 || !strings.Contains(r.stderr, f.want) {
					t.Errorf("%v; want exit 1 and %q", r, f.want)
				}
				stagetest.CheckIntact(t, dir, "a", data, ino)
				_, err := os.Stat(a + ft.suffix)
				if f.committed {
					if got := decompressed(t, ft.tool, a+ft.suffix); !bytes.Equal(got, data) {
						t.Errorf("the committed output decompresses to %d bytes, want %d", len(got), len(data))
					}
				} else if err == nil {
					t.Errorf("a%s exists", ft.suffix)
				}
				return r.String()
			})
		}
		relCase(t, ft.tool+"/truncated-d", ft.tool, "-d of a FILE cut in the middle", "exit 1, the error named; the input intact, no output, no temp left", func(t *testing.T) string {
			dir := t.TempDir()
			z := filepath.Join(dir, "a"+ft.suffix)
			full := compressed(t, ft.tool, data)
			os.WriteFile(z, full[:len(full)/2], 0o644)
			ino := stagetest.Inode(t, z)
			r := relRun(t, dir, nil, append(append([]string{bin(ft.tool), "-d"}, removeFlags(ft.tool)...), "a"+ft.suffix)...)
			if r.code != 1 || !strings.Contains(r.stderr, "unexpected end of") {
				t.Errorf("%v; want exit 1 and the truncation named", r)
			}
			stagetest.CheckIntact(t, dir, "a"+ft.suffix, full[:len(full)/2], ino)
			if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
				t.Errorf("a exists")
			}
			return r.String()
		})
		relCase(t, ft.tool+"/SIGKILL-midway", ft.tool, "SIGKILL while a FILE of 64 GiB (sparse) is compressed", "a intact (size, inode), no output; the temporary file is left to the next run's cleanup", func(t *testing.T) string {
			dir := t.TempDir()
			a := filepath.Join(dir, "a")
			f, err := os.Create(a)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(64 << 30); err != nil {
				t.Skipf("no sparse file here: %v", err)
			}
			f.Close()
			ino := stagetest.Inode(t, a)
			c := exec.Command(argv[0], argv[1:]...)
			c.Dir = dir
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for !tempHasData(dir) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			c.Process.Signal(syscall.SIGKILL)
			err = c.Wait()
			st, serr := os.Stat(a)
			if serr != nil || st.Size() != 64<<30 || stagetest.Inode(t, a) != ino {
				t.Errorf("a changed or went: %v", serr)
			}
			if _, err := os.Stat(a + ft.suffix); err == nil {
				t.Errorf("a%s exists", ft.suffix)
			}
			return fmt.Sprintf("exit %d; a intact; left: %d temporary file(s)", exitCode(err), len(leftovers(dir)))
		})
	}
}

// compressed is data compressed by tool (through its stream mode).
func compressed(t *testing.T, tool string, data []byte) []byte {
	t.Helper()
	c := exec.Command(bin(tool))
	c.Stdin = bytes.NewReader(data)
	out, err := c.Output()
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	return out
}

// decompressed is the file at path decompressed by tool -d.
func decompressed(t *testing.T, tool, path string) []byte {
	t.Helper()
	out, err := exec.Command(bin(tool), "-dc", path).Output()
	if err != nil {
		t.Errorf("%s -dc %s: %v", tool, path, err)
	}
	return out
}
