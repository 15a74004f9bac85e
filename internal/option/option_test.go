package option

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestErrorf(t *testing.T) {
	err := Errorf("need at least 1", "threads %d", 0)
	if got, want := err.Error(), "threads 0: need at least 1"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var oe *Error
	if !errors.As(fmt.Errorf("wrapped: %w", err), &oe) || oe.Why != "need at least 1" {
		t.Errorf("errors.As: %v, %+v", oe != nil, oe)
	}
}

func TestFlag(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{Errorf("need at least 1", "threads %d", 0), "--threads 0: need at least 1"},
		{fmt.Errorf("gz: %w", Errorf("need at least 1", "threads %d", 0)), "--threads 0: need at least 1"},
		{io.ErrUnexpectedEOF, "--threads 0: unexpected EOF"},
	} {
		got := Flag("--threads 0", tc.err)
		if got.Error() != tc.want {
			t.Errorf("Flag(%v) = %q, want %q", tc.err, got, tc.want)
		}
		if !errors.Is(tc.err, io.ErrUnexpectedEOF) {
			continue
		}
		if !errors.Is(got, io.ErrUnexpectedEOF) {
			t.Errorf("Flag(%v) does not wrap it", tc.err)
		}
	}
}
