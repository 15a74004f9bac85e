package stagetest

import (
	"errors"
	"testing"

	"github.com/fpipe/fpipe/internal/option"
)

// CheckOptionError compares the error err of a stage package's Check with
// nerr, the error of the constructor given the same options, and with the
// message msg and the reason why (an *option.Error's Why) wanted: both nil
// when msg is "".
func CheckOptionError(t testing.TB, err, nerr error, msg, why string) {
	t.Helper()
	if msg == "" {
		if err != nil || nerr != nil {
			t.Fatalf("Check = %v, constructor %v; want nil", err, nerr)
		}
		return
	}
	if err == nil || err.Error() != msg {
		t.Fatalf("Check = %v, want %q", err, msg)
	}
	if nerr == nil || nerr.Error() != msg {
		t.Errorf("constructor = %v, want %q as Check", nerr, msg)
	}
	var oe *option.Error
	if !errors.As(err, &oe) || oe.Why != why {
		t.Errorf("Check = %#v, want an *option.Error with Why %q", err, why)
	}
}
