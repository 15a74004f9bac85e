package tests

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
)

// fileTools are the tools with a file mode, and their suffixes.
var fileTools = []struct{ tool, suffix string }{{"fgz", ".gz"}, {"fzst", ".zst"}}

// removeFlags makes each tool remove FILE after the commit, as gzip does.
func removeFlags(tool string) []string {
	if tool == "fzst" {
		return []string{"--rm"}
	}
	return nil
}

// TestFilesReadOnlyFolder: FILE in a folder where no output can be created
// (as an unprivileged user; root runs the tool as nobody) is reported, and
// FILE stays as it was.
func TestFilesReadOnlyFolder(t *testing.T) {
	for _, ft := range fileTools {
		t.Run(ft.tool, func(t *testing.T) {
			dir := t.TempDir()
			a := filepath.Join(dir, "a")
			content := bytes.Repeat([]byte("data\n"), 10000)
			os.WriteFile(a, content, 0o644)
			os.Chmod(a, 0o644)
			os.Chmod(dir, 0o555)
			t.Cleanup(func() { os.Chmod(dir, 0o755) })
			c := exec.Command(bin(ft.tool), append(removeFlags(ft.tool), "a")...)
			c.Dir = dir
			if os.Geteuid() == 0 {
				c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
				for _, d := range []string{binDir, filepath.Dir(dir)} {
					os.Chmod(d, 0o755)
				}
			}
			out, err := c.CombinedOutput()
			if exitCode(err) != 1 {
				t.Errorf("exit %d, want 1", exitCode(err))
			}
			want := ft.tool + ": a" + ft.suffix + ": cannot create a temporary file in .: permission denied\n"
			if string(out) != want {
				t.Errorf("output %q, want %q", out, want)
			}
			if got, _ := os.ReadFile(a); !bytes.Equal(got, content) {
				t.Errorf("a changed or went")
			}
			if _, err := os.Stat(a + ft.suffix); err == nil {
				t.Errorf("a%s exists", ft.suffix)
			}
		})
	}
}

// TestFilesDiskFull: on a full tmpfs, the output fails, FILE stays with
// its inode, and no temporary file or output is left.
func TestFilesDiskFull(t *testing.T) {
	for _, ft := range fileTools {
		t.Run(ft.tool, func(t *testing.T) {
			dir := mountTmpfs(t, "size=1m")
			old := make([]byte, 700<<10)
			io.ReadFull(newRand(1), old) // random: the output is as large
			os.WriteFile(filepath.Join(dir, "a"), old, 0o644)
			ino := stagetest.Inode(t, filepath.Join(dir, "a"))
			c := exec.Command(bin(ft.tool), append(removeFlags(ft.tool), "a")...)
			c.Dir = dir
			out, err := c.CombinedOutput()
			if exitCode(err) != 1 {
				t.Errorf("exit %d, want 1", exitCode(err))
			}
			if !strings.Contains(string(out), "no space left on device") {
				t.Errorf("output %q lacks the cause", out)
			}
			stagetest.CheckIntact(t, dir, "a", old, ino)
			if _, err := os.Stat(filepath.Join(dir, "a"+ft.suffix)); err == nil {
				t.Errorf("a%s exists", ft.suffix)
			}
		})
	}
}

// TestFilesSignal: SIGTERM or SIGINT while a FILE is compressed (a sparse
// file of 64 GiB of zeros, which takes far longer than the test waits)
// ends the tool with 128+signal, FILE in place, no output, no temporary
// file.
func TestFilesSignal(t *testing.T) {
	for _, ft := range fileTools {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
			t.Run(ft.tool+"/"+sig.String(), func(t *testing.T) {
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
				c := exec.Command(bin(ft.tool), append(removeFlags(ft.tool), "a")...)
				c.Dir = dir
				var stderr bytes.Buffer
				c.Stderr = &stderr
				if err := c.Start(); err != nil {
					t.Fatal(err)
				}
				// Wait until the temporary file has data: the tool is mid-file.
				deadline := time.Now().Add(10 * time.Second)
				for !tempHasData(dir) && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				c.Process.Signal(sig)
				err = c.Wait()
				if exitCode(err) != 128+int(sig) {
					t.Errorf("exit %d, want %d; stderr %q", exitCode(err), 128+int(sig), stderr.String())
				}
				st, err := os.Stat(a)
				if err != nil || st.Size() != 64<<30 || stagetest.Inode(t, a) != ino {
					t.Errorf("a changed or went: %v", err)
				}
				if _, err := os.Stat(a + ft.suffix); err == nil {
					t.Errorf("a%s exists", ft.suffix)
				}
				stagetest.CheckNoTemp(t, dir)
			})
		}
	}
}

// tempHasData reports whether dir holds a sink's temporary file with data.
func tempHasData(dir string) bool {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".fsink-tmp") {
			if fi, err := e.Info(); err == nil && fi.Size() > 0 {
				return true
			}
		}
	}
	return false
}

// TestFilesUnderFpipe: under fpipe a FILE operand of fgz or fzst is a
// usage error (a stage's input is the stage before it; in a pipeline,
// write fread FILE | fgz | fsink FILE.gz), and FILE is left alone.
func TestFilesUnderFpipe(t *testing.T) {
	for _, ft := range fileTools {
		t.Run(ft.tool, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "a"), []byte("a\n"), 0o644)
			for _, line := range []string{ft.tool + " a", ft.tool + " a | fsink b"} {
				c := exec.Command(bin("fpipe"), line)
				c.Dir = dir
				out, err := c.CombinedOutput()
				if exitCode(err) != 2 || !strings.Contains(string(out), "this form of "+ft.tool+" is not a stream stage") {
					t.Errorf("fpipe %q: exit %d, %q; want 2 and the refusal", line, exitCode(err), out)
				}
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 1 {
				t.Errorf("the folder holds %d entries, want a alone", len(ents))
			}
			// fzst -o FILE without operands is a sink, and runs under fpipe.
			if ft.tool == "fzst" {
				c := exec.Command(bin("fpipe"), "fread a | fzst -o a.zst")
				c.Dir = dir
				if out, err := c.CombinedOutput(); err != nil {
					t.Errorf("fpipe 'fread a | fzst -o a.zst': %v %s", err, out)
				}
				if out, err := exec.Command("zstd", "-dc", filepath.Join(dir, "a.zst")).Output(); err != nil || string(out) != "a\n" {
					t.Errorf("a.zst: %v %q", err, out)
				}
			}
		})
	}
}

// TestMemoryFiles: compressing and decompressing many FILEs holds about
// what one file does (each file's stage is collected before the next one
// allocates), within each tool's budget: 32 MiB for fgz, 64 MiB for fzst.
func TestMemoryFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("memory test: skipped under -short")
	}
	dir := t.TempDir()
	var names []string
	for i := 1; i <= 30; i++ {
		n := fmt.Sprintf("f%02d", i)
		names = append(names, n)
		c := exec.Command(bin("gendump"), "--seed", fmt.Sprint(i), "4000000")
		out, err := c.Output()
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, n), out, 0o644)
	}
	with := func(suffix string, ns []string) string {
		var b strings.Builder
		for _, n := range ns {
			b.WriteString(" " + n + suffix)
		}
		return b.String()
	}
	for _, tc := range []struct {
		tool, args, in string
		limitKiB       int64
	}{
		{"fgz", "-k -f", "", 32 << 10},
		{"fgz", "-d -k -f", ".gz", 32 << 10},
		{"fzst", "-f", "", 64 << 10},
		{"fzst", "-d -f", ".zst", 64 << 10},
	} {
		cmd := func(ns []string) string { return bin(tc.tool) + " " + tc.args + with(tc.in, ns) }
		two := pipelineRSS(t, dir, cmd(names[:2]))[0]
		all := pipelineRSS(t, dir, cmd(names))[0]
		t.Logf("%s %s: %d KiB for 2 files, %d KiB for 30", tc.tool, tc.args, two, all)
		if all > tc.limitKiB {
			t.Errorf("%s %s: peak RSS %d KiB over 30 files, want at most %d KiB", tc.tool, tc.args, all, tc.limitKiB)
		}
		if float64(all) > float64(two)*1.3+2048 {
			t.Errorf("%s %s: peak RSS grew from %d KiB (2 files) to %d KiB (30 files)", tc.tool, tc.args, two, all)
		}
	}
}
