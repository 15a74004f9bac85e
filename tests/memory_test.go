package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// pipelineRSS runs the shell pipeline stage1 | stage2 | ... in dir under
// bash, each stage under /usr/bin/time, and returns each stage's peak RSS
// in KiB. It fails the test if the pipeline fails.
func pipelineRSS(t *testing.T, dir string, stages ...string) []int64 {
	t.Helper()
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Skip("/usr/bin/time is missing (apt-get install time)")
	}
	parts := make([]string, len(stages))
	for i, s := range stages {
		parts[i] = fmt.Sprintf("/usr/bin/time -f %%M -o %s %s", filepath.Join(dir, fmt.Sprintf("rss.%d", i)), s)
	}
	cmd := exec.Command("bash", "-o", "pipefail", "-c", strings.Join(parts, " | "))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(stages, " | "), err, out)
	}
	rss := make([]int64, len(stages))
	for i := range stages {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("rss.%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Fields(string(b))
		v, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
		if err != nil {
			t.Fatalf("rss of %q: %v", stages[i], err)
		}
		rss[i] = v
	}
	return rss
}

// checkFlatRSS runs the pipeline built by mk for a small and a large stream
// size, and checks that every stage stays under limitKiB and that the large
// run's peak is within 10% (plus 512 KiB of noise) of the small run's.
func checkFlatRSS(t *testing.T, small, large int64, limitKiB int64, mk func(size int64) []string) {
	t.Helper()
	dir := t.TempDir()
	a := pipelineRSS(t, dir, mk(small)...)
	b := pipelineRSS(t, dir, mk(large)...)
	stages := mk(large)
	for i := range a {
		t.Logf("%s: %d KiB at %d bytes, %d KiB at %d bytes", stages[i], a[i], small, b[i], large)
		if b[i] > limitKiB || a[i] > limitKiB {
			t.Errorf("%s: peak RSS %d KiB (small) / %d KiB (large), want at most %d KiB", stages[i], a[i], b[i], limitKiB)
		}
		if float64(b[i]) > float64(a[i])*1.1+512 {
			t.Errorf("%s: peak RSS grew from %d KiB to %d KiB with the stream", stages[i], a[i], b[i])
		}
	}
}

const (
	mib = 1 << 20
	gib = 1 << 30
)

// TestMemoryFreadFsink streams 100 MiB and then 10 GiB through fread and
// fsink: each process stays under 8 MiB, flat.
func TestMemoryFreadFsink(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 10 GiB")
	}
	checkFlatRSS(t, 100*mib, 10*gib, 8*1024, func(size int64) []string {
		return []string{
			fmt.Sprintf("%s --length %d /dev/zero", bin("fread"), size),
			bin("fsink") + " --no-sync out",
		}
	})
}

// TestMemoryFreadFile reads a real file (through the pipe, generic path and
// splice) into fsink with fsync.
func TestMemoryFreadFile(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1 GiB")
	}
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "big"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(gib); err != nil { // sparse: reads as zeros, costs no disk
		t.Fatal(err)
	}
	f.Close()
	big := filepath.Join(dir, "big")
	checkFlatRSS(t, 100*mib, gib, 8*1024, func(size int64) []string {
		return []string{
			fmt.Sprintf("%s --length %d %s", bin("fread"), size, big),
			bin("fsink") + " out",
		}
	})
}
