package tests

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpipe/fpipe/stages/s3"
	"github.com/fpipe/fpipe/stages/s3/s3test"
	"github.com/fpipe/fpipe/tests/gendump/dump"
)

// relS3 is the s3:// family of the matrix: signals across an upload and
// its Complete, and server faults through a loopback proxy, with the built
// fsink and fread against a real S3 server. Every case: the key holds the
// old object or the complete new one (sha256), and after anything but
// SIGKILL no incomplete upload is left.
func relS3(t *testing.T) {
	s3test.Require(t)
	srv := s3test.Start(t, s3Bucket)
	proxy := s3test.NewProxy(t, srv.URL, nil)
	obj := filepath.Join(srv.Dir, s3Bucket, "db.sql")
	old := []byte("yesterday's good backup\n")
	newData, err := io.ReadAll(dump.NewReader(3, 24<<20))
	if err != nil {
		t.Fatal(err)
	}
	oldSum, newSum := sha256.Sum256(old), sha256.Sum256(newData)
	state := func(t *testing.T) string {
		got, err := os.ReadFile(obj)
		if err != nil {
			t.Fatal(err)
		}
		switch sha256.Sum256(got) {
		case oldSum:
			return "old"
		case newSum:
			return "new"
		}
		return fmt.Sprintf("%d bytes, neither old nor new", len(got))
	}
	uploads := func(t *testing.T) int {
		ups, err := s3ClientFromEnv(srv.Getenv("")).ListUploads(context.Background(), s3Bucket, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(ups)
	}
	env := func(endpoint string) []string { return append(os.Environ(), srv.Env(endpoint)...) }

	// Signals: bytes fed before the signal; -1 is after the end of input,
	// racing the Complete.
	points := []int{0, 7 << 20, -1}
	if *relFull {
		points = []int{0, 1 << 20, 5<<20 - 1, 5 << 20, 7 << 20, 12 << 20, 20 << 20, 24<<20 - 1, -1}
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGKILL} {
		for _, at := range points {
			name := fmt.Sprintf("%v at %d", sig, at)
			injected := fmt.Sprintf("%v after %d bytes of 24 MiB", sig, at)
			if at < 0 {
				injected = fmt.Sprintf("%v after the end of input, racing Complete", sig)
			}
			expected := "exit 128+signal, old object, no upload left"
			if at < 0 {
				expected = "old or complete new object, no upload left"
			}
			if sig == syscall.SIGKILL {
				expected = "old object (new if after the end); the upload left is aborted by --s3-abort-stale"
			}
			relCase(t, name, "fsink s3://", injected, expected, func(t *testing.T) string {
				if err := os.WriteFile(obj, old, 0o644); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(bin("fsink"), "--s3-memory", "32M", "s3://bkt/db.sql")
				cmd.Env = env("")
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				in, err := cmd.StdinPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				if at < 0 {
					in.Write(newData)
					in.Close()
				} else {
					in.Write(newData[:at])
					if at >= s3.MinPartSize { // a part is out: the upload exists
						for deadline := time.Now().Add(10 * time.Second); uploads(t) == 0; {
							if time.Now().After(deadline) {
								t.Fatal("no upload started")
							}
							time.Sleep(10 * time.Millisecond)
						}
					} else {
						time.Sleep(100 * time.Millisecond)
					}
				}
				cmd.Process.Signal(sig)
				cmd.Wait()
				in.Close()
				st := cmd.ProcessState
				obs := fmt.Sprintf("%v, %s", st, state(t))
				switch {
				case at < 0 && st.Success():
				case sig == syscall.SIGKILL:
				case st.ExitCode() != 128+int(sig):
					t.Errorf("exit %v, want %d (stderr %q)", st, 128+int(sig), stderr.String())
				}
				if s := state(t); s != "old" && !(s == "new" && at < 0) {
					t.Errorf("object: %s", s)
				}
				if strings.Contains(stderr.String(), s3test.Secret) {
					t.Errorf("stderr shows the secret")
				}
				if sig == syscall.SIGKILL {
					clean := exec.Command(bin("fsink"), "--s3-abort-stale", "--older-than", "0s", "s3://bkt/")
					clean.Env = env("")
					out, err := clean.CombinedOutput()
					if err != nil {
						t.Fatalf("fsink --s3-abort-stale: %v: %s", err, out)
					}
					obs += fmt.Sprintf(", --s3-abort-stale aborted %d", bytes.Count(out, []byte("aborted ")))
				}
				n := uploads(t)
				if n != 0 {
					t.Errorf("%d incomplete uploads left (stderr %q)", n, stderr.String())
				}
				return fmt.Sprintf("%s, %d uploads left", obs, n)
			})
		}
	}

	// Server faults through the proxy: retried ones end with the new
	// object, the others with the old one and one line.
	slow := s3test.Action{Status: http.StatusServiceUnavailable, Code: "SlowDown"}
	internal := s3test.Action{Status: http.StatusInternalServerError, Code: "InternalError"}
	faults := []struct {
		name string
		rule s3test.Rule
		ok   bool
	}{
		{"SlowDown at the first part, once", s3test.Only("part", 1, slow, 1), true},
		{"connection cut at a middle part, once", s3test.Only("part", 3, s3test.Action{Cut: true}, 1), true},
		{"500 at Complete, once", s3test.Only("complete", 0, internal, 1), true},
		{"Complete's answer lost", s3test.Only("complete", 0, s3test.Action{Lose: true}, 1), true},
		{"500 at a middle part, always", s3test.Only("part", 2, internal), false},
		{"SlowDown at Complete, always", s3test.Only("complete", 0, slow), false},
	}
	if *relFull {
		faults = append(faults, []struct {
			name string
			rule s3test.Rule
			ok   bool
		}{
			{"delay 1s at a part", s3test.Only("part", 2, s3test.Action{Delay: time.Second}, 1), true},
			{"connection cut at create, once", s3test.Only("create", 0, s3test.Action{Cut: true}, 1), true},
			{"403 at a part", s3test.Only("part", 4, s3test.Action{Status: http.StatusForbidden, Code: "AccessDenied"}), false},
			{"connection cut at the last part, always", s3test.Only("part", 5, s3test.Action{Cut: true}), false},
		}...)
	}
	for _, f := range faults {
		expected := "new object, exit 0"
		if !f.ok {
			expected = "old object, exit 1, one line, no upload left"
		}
		relCase(t, f.name, "fsink s3://", f.name+" (via a loopback proxy)", expected, func(t *testing.T) string {
			if err := os.WriteFile(obj, old, 0o644); err != nil {
				t.Fatal(err)
			}
			proxy.SetRule(f.rule)
			cmd := exec.Command(bin("fsink"), "--s3-memory", "32M", "s3://bkt/db.sql")
			cmd.Env = env(proxy.URL)
			cmd.Stdin = bytes.NewReader(newData)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			s := state(t)
			n := uploads(t)
			obs := fmt.Sprintf("exit %d, %s, %d uploads left, %s", exitCode(err), s, n, strings.TrimSpace(stderr.String()))
			switch {
			case f.ok && (err != nil || s != "new"):
				t.Errorf("%s; want the new object", obs)
			case !f.ok && (exitCode(err) != 1 || s != "old" || strings.Count(stderr.String(), "\n") != 1):
				t.Errorf("%s; want the old object and one line", obs)
			case n != 0:
				t.Errorf("%s", obs)
			}
			return obs
		})
	}

	// A GET cut midway: fread resumes at the next byte.
	relCase(t, "GET cut midway", "fread s3://", "connection cut after 3 MiB of the answer, twice", "the whole object, exit 0", func(t *testing.T) string {
		if err := os.WriteFile(obj, newData, 0o644); err != nil {
			t.Fatal(err)
		}
		proxy.SetRule(s3test.Only("get", 0, s3test.Action{CutAfter: 3 << 20}, 1, 2))
		cmd := exec.Command(bin("fread"), "s3://bkt/db.sql")
		cmd.Env = env(proxy.URL)
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		err := cmd.Run()
		obs := fmt.Sprintf("exit %d, %d bytes, %d GETs %s", exitCode(err), out.Len(), len(proxy.Calls()), strings.TrimSpace(stderr.String()))
		if err != nil || sha256.Sum256(out.Bytes()) != newSum {
			t.Errorf("%s", obs)
		}
		return obs
	})
}
