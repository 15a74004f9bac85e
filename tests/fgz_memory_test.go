package tests

import (
	"fmt"
	"testing"
)

// TestMemoryFgz streams 1 GiB and then 10 GiB of zeros through fgz at its
// defaults and straight back through fgz -d on 8 threads (the 10 GiB arrive
// there as a ~15 MB decompression bomb of 1 MiB members, made on the fly,
// decoded in parallel): each process stays under 32 MiB, flat (within 10%).
func TestMemoryFgz(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 10 GiB")
	}
	// From 1 GiB, as DESIGN.md states the budget: fgz's resident set
	// creeps by about 1.5 MiB over the first 10 GiB with no garbage made
	// (two collections in all): pages of its fixed buffers touched late.
	checkFlatRSS(t, 1*gib, 10*gib, 32*1024, func(size int64) []string {
		return []string{
			fmt.Sprintf("%s --length %d /dev/zero", bin("fread"), size),
			bin("fgz"),
			bin("fgz") + " -d -p 8",
			"cat > /dev/null",
		}
	})
}

// TestMemoryFgzMaxOutput: the same bomb stopped by --max-output.
func TestMemoryFgzMaxOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 2 GiB")
	}
	dir := t.TempDir()
	rss := pipelineRSS(t, dir,
		fmt.Sprintf("%s --length %d /dev/zero", bin("fread"), 2*gib),
		bin("fgz")+" -1",
		"cat > bomb.gz",
	)
	t.Logf("fgz -1 of 2 GiB of zeros: %d KiB", rss[1])
	out, stderr, code := fgzRunFile(t, dir, "bomb.gz", "-d", "--max-output", "1G")
	if code != 1 || out != 1<<30 || stderr != fmt.Sprintf("fgz: output exceeds the limit at offset %s: more than 1073741824 bytes\n", stderrOffset(stderr)) {
		t.Errorf("--max-output 1G: exit %d, %d bytes out, %q", code, out, stderr)
	}
}
