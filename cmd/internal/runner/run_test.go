package runner

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMainNoLeak runs pipelines in-process, succeeding and failing, and
// checks that no goroutine and no temporary file outlives them.
func TestMainNoLeak(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.WriteFile(in, bytes.Repeat([]byte("data\n"), 200000), 0o644)
	out := filepath.Join(dir, "out")
	run := func(pipeline string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := Main([]string{"-q", pipeline}, strings.NewReader(""), &stdout, &stderr)
		return code, stderr.String()
	}
	run("fread " + in + " | fsink " + out) // warm up (the signal package starts its goroutine once)
	base := runtime.NumGoroutine()
	for _, tc := range []struct {
		pipeline string
		code     int
		stderr   string
	}{
		{"fread " + in + " | fsink " + out, 0, ""},
		{"fread " + in + " | cat | fsink " + out, 0, ""},
		{"fread " + in + " | false | fsink " + out, 1, "stage 2 (false): exited with status 1"},
		{"fread " + in + " | sh -c 'head -c 10 >/dev/null; exit 2' | fsink " + out, 1, "exited with status 2"},
		{"fread nope | fsink " + out, 1, "nope: no such file or directory"},
		{"sh -c 'exit 3' | fsink " + out, 1, "stage 1 (sh -c 'exit 3'): exited with status 3"},
	} {
		code, stderr := run(tc.pipeline)
		if code != tc.code || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("Main(%q) = %d, stderr %q; want %d, %q", tc.pipeline, code, stderr, tc.code, tc.stderr)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines left, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*.fsink-tmp")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, bytes.Repeat([]byte("data\n"), 200000)) {
		t.Errorf("out has %d bytes, want the input", len(b))
	}
}
