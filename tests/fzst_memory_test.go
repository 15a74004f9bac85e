package tests

import (
	"fmt"
	"path/filepath"
	"testing"
)

// TestMemoryFzst streams 1 GiB and then 10 GiB of zeros through fzst at
// its defaults and straight back through fzst -d (the 10 GiB arrive there
// as a ~1 MB decompression bomb, made on the fly): each process stays
// under 64 MiB, flat. The sizes are those of the design's rule (the figure
// at 10 GiB within 10% of the one at 1 GiB): fzst's Go heap is flat from
// the first 256 MiB on (it collects garbage every 256 MiB), but its RSS
// still rises by 1 to 2 MiB over the first GiB, as freed heap pages are
// touched again.
func TestMemoryFzst(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 11 GiB")
	}
	checkFlatRSS(t, gib, 10*gib, 64*1024, func(size int64) []string {
		return []string{
			fmt.Sprintf("%s --length %d /dev/zero", bin("fread"), size),
			bin("fzst"),
			bin("fzst") + " -d",
			"cat > /dev/null",
		}
	})
}

// TestMemoryFzstLevels: the fastest and the best encoder stay flat; and
// -d of frames with the largest window --memory allows by default
// (128 MiB, written with --long) needs the window plus a few MiB, flat.
func TestMemoryFzstLevels(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 3 GiB")
	}
	for _, level := range []string{"-1", "-19"} {
		checkFlatRSS(t, 100*mib, gib, 64*1024, func(size int64) []string {
			return []string{
				fmt.Sprintf("%s --length %d /dev/zero", bin("fread"), size),
				bin("fzst") + " " + level,
				"cat > /dev/null",
			}
		})
	}
	dir := t.TempDir()
	pipelineRSS(t, dir,
		fmt.Sprintf("%s --length %d /dev/urandom", bin("fread"), 200*mib),
		bin("fzst")+" -1 --long=27",
		"cat > long.zst",
	)
	checkFlatRSS(t, 200*mib, gib, (128+16)*1024, func(size int64) []string {
		return []string{
			fmt.Sprintf("sh -c 'for i in $(seq %d); do cat %s; done'", size/(200*mib), filepath.Join(dir, "long.zst")),
			bin("fzst") + " -d",
			"cat > /dev/null",
		}
	})
}
