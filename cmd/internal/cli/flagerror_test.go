package cli

import (
	"errors"
	"testing"

	"github.com/fpipe/fpipe/internal/option"
	"github.com/spf13/pflag"
)

func TestFlagError(t *testing.T) {
	t.Parallel()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.IntP("threads", "p", 0, "")
	fs.Int("long", 27, "")
	fs.Lookup("long").NoOptDefVal = "27"
	if err := fs.Parse([]string{"-p", "0", "--long=30"}); err != nil {
		t.Fatal(err)
	}
	if err := FlagError(fs, "threads", nil); err != nil {
		t.Errorf("FlagError(nil) = %v", err)
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"threads", option.Errorf("need at least 1", "threads %d", 0), "--threads 0: need at least 1"},
		{"long", &option.Error{Msg: "window log 30 out of range 10-29", Why: "out of range 10-29"}, "--long=30: out of range 10-29"},
		{"threads", errors.New("no"), "--threads 0: no"},
	} {
		err := FlagError(fs, tc.name, tc.err)
		var ue *UsageError
		if !errors.As(err, &ue) || err.Error() != tc.want {
			t.Errorf("FlagError(%s, %v) = %#v, want a UsageError %q", tc.name, tc.err, err, tc.want)
		}
	}
}
