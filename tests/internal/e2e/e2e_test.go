package e2e

import "testing"

func TestNeed(t *testing.T) {
	t.Run("present", func(t *testing.T) {
		Need(t, "sh")
		t.Log("not skipped") // reached only if Need did not skip
	})
	var skipped bool
	t.Run("missing", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Need(t, "sh", "no-such-program-fpipe-e2e")
		t.Error("Need did not skip for a missing program")
	})
	if !skipped {
		t.Error("Need did not skip for a missing program")
	}
}
