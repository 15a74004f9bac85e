package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fpipe/fpipe/stages/s3/s3test"
)

// TestMemoryS3 streams 1 GiB and then 10 GiB into fsink s3:// and back out
// with fread s3://: each stays within the 64 MiB that --s3-memory
// declares by default, flat.
func TestMemoryS3(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 10 GiB")
	}
	srv := s3test.Start(t, s3Bucket)
	for _, kv := range srv.Env("") {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	checkFlatRSS(t, gib, 10*gib, 64*1024, func(size int64) []string {
		return []string{
			fmt.Sprintf("%s --length %d /dev/zero", bin("fread"), size),
			bin("fsink") + " s3://bkt/mem",
		}
	})
	checkFlatRSS(t, gib, 10*gib, 64*1024, func(size int64) []string {
		return []string{
			fmt.Sprintf("%s --length %d s3://bkt/mem", bin("fread"), size),
			"cat > /dev/null",
		}
	})
}
