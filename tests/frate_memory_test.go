package tests

import (
	"fmt"
	"testing"
)

// TestMemoryFrateFpv streams 100 MiB and then 10 GiB through frate (at a
// rate far above what flows, so 10 GiB takes seconds, but every piece still
// goes through the bucket) and fpv (drawing log lines every 0.2 s): each
// stays under 8 MiB, flat.
func TestMemoryFrateFpv(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 10 GiB")
	}
	checkFlatRSS(t, 100*mib, 10*gib, 8*1024, func(size int64) []string {
		return []string{
			fmt.Sprintf("%s --length %d /dev/zero", bin("fread"), size),
			bin("frate") + " 1T",
			bin("fpv") + " -i 0.2 > /dev/null",
		}
	})
}
