// Package e2e holds the helpers that the end-to-end tests of the built
// binaries (package tests) share. The destination checks and test doubles
// they share with the stages' tests are in internal/stagetest.
package e2e

import (
	"os/exec"
	"testing"
)

// Need skips the test unless every program in progs is on PATH (.ci/run
// installs them all, so CI skips nothing).
func Need(t testing.TB, progs ...string) {
	t.Helper()
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed", p)
		}
	}
}
