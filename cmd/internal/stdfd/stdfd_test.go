package stdfd

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestMain doubles as the helper that TestRestore starts with its standard
// descriptors arranged by a shell: it calls Restore, then writes one byte
// to standard output and reads from standard input, and prints on fd 3
// what happened.
func TestMain(m *testing.M) {
	if os.Getenv("STDFD_HELPER") == "1" {
		Restore()
		report := os.NewFile(3, "report")
		_, werr := os.Stdout.Write([]byte("x"))
		_, rerr := os.Stdin.Read(make([]byte, 1))
		fmt.Fprintf(report, "write=%s read=%s", errName(werr), errName(rerr))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func errName(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, syscall.EBADF):
		return "EBADF"
	}
	return "other"
}

func TestRestore(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, redir, want string }{
		{"stdout closed", ">&- </dev/null", "write=EBADF read=other"}, // EOF
		{"stdin closed", "<&- >/dev/null", "write=ok read=EBADF"},
		{"both closed", "<&- >&-", "write=EBADF read=EBADF"},
		{"stdout and stderr closed", ">&- 2>&- </dev/null", "write=EBADF read=other"},
		{"the caller's /dev/null", ">/dev/null </dev/null", "write=ok read=other"},
		{"a read-write /dev/null shared by 0, 1, 2 (daemon(3))", "<>/dev/null >&0 2>&0", "write=ok read=other"},
		{"a pipe", "</dev/null | cat >/dev/null", "write=ok read=other"},
		// The documented limit: a read-write /dev/null of its own on 1.
		{"1<>/dev/null alone", "1<>/dev/null </dev/null", "write=EBADF read=other"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("sh", "-c", `"$0" -test.run='^$' `+c.redir, exe)
			cmd.Env = append(os.Environ(), "STDFD_HELPER=1")
			cmd.ExtraFiles = []*os.File{w}
			err = cmd.Run()
			w.Close()
			b := make([]byte, 100)
			n, _ := r.Read(b)
			r.Close()
			got := strings.ReplaceAll(string(b[:n]), "read=ok", "read=other")
			if err != nil || got != c.want {
				t.Errorf("%s: %q, %v; want %q", c.redir, got, err, c.want)
			}
		})
	}
}
