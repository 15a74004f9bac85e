package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// relClosedFD: every tool started with its standard output (or input)
// closed fails as cat does, "bad file descriptor" and exit 1, and commits
// nothing; a /dev/null given by the caller is still written to quietly.
func relClosedFD(t *testing.T) {
	data := randBytes(29, 300000)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "src"), data, 0o644)
	os.WriteFile(filepath.Join(dir, "src.gz"), []byte(relRun(t, dir, bytes.NewReader(data), bin("fgz")).stdout), 0o644)
	os.WriteFile(filepath.Join(dir, "src.zst"), []byte(relRun(t, dir, bytes.NewReader(data), bin("fzst")).stdout), 0o644)
	writers := []struct {
		name, cmd, stdin string
	}{
		{"fread", "fread src", ""},
		{"fgz", "fgz", "src"},
		{"fgz -d", "fgz -d", "src.gz"},
		{"fsum", "fsum", "src"},
		{"fsum FILE", "fsum src", ""},
		{"frate", "frate 1G", "src"},
		{"fpv", "fpv -q", "src"},
		{"fzst", "fzst", "src"},
		{"fzst -d", "fzst -d", "src.zst"},
		{"fsink -", "fsink -", "src"},
		{"fpipe 'fread src'", "fpipe -q 'fread src'", ""},
		{"fpipe 'cat src'", "fpipe -q 'cat src'", ""},
	}
	for _, w := range writers {
		in := ""
		if w.stdin != "" {
			in = " <" + w.stdin
		}
		relCase(t, "stdout/"+strings.ReplaceAll(w.name, " ", "_"), w.name, "started with standard output closed (>&-)",
			"exit 1, \"bad file descriptor\", as cat; no file changed", func(t *testing.T) string {
				return closedFDRun(t, dir, w.cmd+in+" >&-", 1, "bad file descriptor")
			})
		if *relFull || w.name == "fread" || w.name == "fpipe 'cat src'" {
			relCase(t, "stdout-devnull/"+strings.ReplaceAll(w.name, " ", "_"), w.name, "standard output a /dev/null that the caller opened (>/dev/null, or read-write and shared by 0, 1 and 2 as daemon(3) leaves it)",
				"exit 0 both ways", func(t *testing.T) string {
					a := closedFDRun(t, dir, w.cmd+in+" >/dev/null", 0, "")
					b := closedFDRun(t, dir, "exec 9<>/dev/null; ("+w.cmd+in+") >&9 2>&9 9>&-", 0, "")
					return a + "; " + b
				})
		}
	}
	readers := []struct{ name, cmd string }{
		{"fread -", "fread -"},
		{"fgz", "fgz"},
		{"fgz -d", "fgz -d"},
		{"fsum", "fsum"},
		{"frate", "frate 1G"},
		{"fpv", "fpv -q"},
		{"fzst", "fzst"},
		{"fzst -d", "fzst -d"},
		{"fsink", "fsink dest"},
		{"fsum -o", "fsum -o dest --name n"},
		{"fpipe 'fgz | fsink dest'", "fpipe 'fgz | fsink dest'"},
	}
	for _, r := range readers {
		relCase(t, "stdin/"+strings.ReplaceAll(r.name, " ", "_"), r.name, "started with standard input closed (<&-)",
			"exit 1, \"bad file descriptor\", as cat; nothing committed", func(t *testing.T) string {
				return closedFDRun(t, dir, r.cmd+" <&- >/dev/null", 1, "bad file descriptor")
			})
	}
}

// closedFDRun runs the shell command sh in dir and checks its exit status,
// its message and that dir did not change.
func closedFDRun(t *testing.T, dir, sh string, code int, msg string) string {
	t.Helper()
	before := listDir(t, dir)
	c := exec.Command("bash", "-c", sh)
	c.Dir = dir
	var errb bytes.Buffer
	c.Stderr = &errb
	r := runTimeout(t, c, 30*time.Second)
	// On success only fsum's sum line may be on stderr.
	if r.code != code || msg != "" && !strings.Contains(strings.ToLower(r.stderr), msg) || msg == "" && strings.Contains(r.stderr, ": ") {
		t.Errorf("%s: %v; want exit %d and %q", sh, r, code, msg)
	}
	if after := listDir(t, dir); after != before {
		t.Errorf("%s: folder changed:\n%s\nwas\n%s", sh, after, before)
	}
	return fmt.Sprintf("%s: %v", sh, r)
}
