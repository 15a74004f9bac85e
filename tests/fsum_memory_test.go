package tests

import (
	"fmt"
	"testing"
)

// TestMemoryFsum streams 100 MiB and then 10 GiB through fsum as a filter
// (crc32c, the fastest, so that 10 GiB takes seconds; with --out, so that
// the sink's code is in too) into /dev/null: it stays under 8 MiB, flat.
func TestMemoryFsum(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 10 GiB")
	}
	checkFlatRSS(t, 100*mib, 10*gib, 8*1024, func(size int64) []string {
		return []string{
			fmt.Sprintf("%s --length %d /dev/zero", bin("fread"), size),
			bin("fsum") + " -a crc32c -o sum.crc --name - --no-sync > /dev/null",
		}
	})
}
