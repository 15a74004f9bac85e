package tests

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
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
	"github.com/rogpeppe/go-internal/testscript"
)

const s3Bucket = "bkt"

// TestS3Scripts runs testdata/s3script against a fresh versitygw per
// script: $S3DIR is the folder it serves ($S3DIR/bkt/KEY is the object
// KEY of bucket bkt), and the AWS_* variables point the tools at it.
func TestS3Scripts(t *testing.T) {
	s3test.Require(t)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/s3script",
		RequireExplicitExec: true,
		UpdateScripts:       *update,
		Setup: func(e *testscript.Env) error {
			srv := s3test.Start(e.T().(testing.TB), s3Bucket)
			e.Setenv("PATH", os.Getenv("PATH"))
			e.Setenv("HOME", e.WorkDir)
			for _, kv := range srv.Env("") {
				k, v, _ := strings.Cut(kv, "=")
				e.Setenv(k, v)
			}
			e.Setenv("S3DIR", srv.Dir)
			e.Setenv("S3SECRET", s3test.Secret)
			return nil
		},
		Condition: condition,
		Cmds:      s3Commands(),
	})
}

// s3Commands adds to the common commands: nouploads [BUCKET] fails when
// an incomplete upload is left; uploads N [BUCKET] wants exactly N.
func s3Commands() map[string]func(*testscript.TestScript, bool, []string) {
	m := map[string]func(*testscript.TestScript, bool, []string){}
	for k, v := range commands {
		m[k] = v
	}
	m["uploads"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: uploads N")
		}
		ups, err := s3ClientFromEnv(ts.Getenv).ListUploads(context.Background(), s3Bucket, "")
		ts.Check(err)
		if got := fmt.Sprint(len(ups)); (got == args[0]) == neg {
			ts.Fatalf("%s incomplete uploads, want %s", got, args[0])
		}
	}
	return m
}

func s3ClientFromEnv(getenv func(string) string) *s3.Client {
	cfg, err := s3.LoadConfig(getenv)
	if err != nil {
		panic(err)
	}
	c, err := s3.NewClient(cfg)
	if err != nil {
		panic(err)
	}
	return c
}

// s3Env is the environment of a tool run against srv.
func s3Env(srv *s3test.Server) []string {
	return append(os.Environ(), srv.Env("")...)
}

func listUploads(t *testing.T, srv *s3test.Server) int {
	t.Helper()
	ups, err := s3ClientFromEnv(srv.Getenv("")).ListUploads(context.Background(), s3Bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	return len(ups)
}

// Signals at points across an upload: the key holds the old object or the
// complete new one, never a part; after SIGTERM or SIGINT no upload is
// left; after SIGKILL the one left is cleaned by --s3-abort-stale.
func TestS3Signals(t *testing.T) {
	srv := s3test.Start(t, s3Bucket)
	obj := filepath.Join(srv.Dir, s3Bucket, "db.sql")
	old := []byte("yesterday's good backup\n")
	newData, err := io.ReadAll(dump.NewReader(3, 24<<20))
	if err != nil {
		t.Fatal(err)
	}
	oldSum, newSum := sha256.Sum256(old), sha256.Sum256(newData)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGKILL} {
		// Points: bytes fed before the signal; -1 is after the end of
		// input, racing the Complete.
		for _, at := range []int{0, 1 << 20, 7 << 20, 20 << 20, -1} {
			t.Run(fmt.Sprintf("%v at %d", sig, at), func(t *testing.T) {
				if err := os.WriteFile(obj, old, 0o644); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(filepath.Join(binDir, "fsink"), "--s3-memory", "32M", "s3://bkt/db.sql")
				cmd.Env = s3Env(srv)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				in, err := cmd.StdinPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				feed := newData
				if at >= 0 {
					feed = newData[:at]
				}
				in.Write(feed)
				if at < 0 {
					in.Close()
				} else if at >= s3.MinPartSize {
					// A part is out: the upload exists when the signal comes.
					for deadline := time.Now().Add(10 * time.Second); listUploads(t, srv) == 0; {
						if time.Now().After(deadline) {
							t.Fatal("no upload started")
						}
						time.Sleep(10 * time.Millisecond)
					}
				} else {
					time.Sleep(100 * time.Millisecond)
				}
				cmd.Process.Signal(sig)
				err = cmd.Wait()
				in.Close()
				st := cmd.ProcessState
				switch {
				case at < 0 && st.Success():
				case sig == syscall.SIGKILL:
					if ws := st.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != sig {
						t.Errorf("exit %v, want killed", st)
					}
				case st.ExitCode() != 128+int(sig):
					t.Errorf("exit %v, want %d (stderr %q)", st, 128+int(sig), stderr.String())
				}
				got, rerr := os.ReadFile(obj)
				if rerr != nil {
					t.Fatal(rerr)
				}
				switch sum := sha256.Sum256(got); {
				case sum == oldSum:
				case sum == newSum && at < 0:
				default:
					t.Fatalf("object is %d bytes, neither old nor new (exit %v, stderr %q)", len(got), err, stderr.String())
				}
				if strings.Contains(stderr.String(), s3test.Secret) {
					t.Errorf("stderr shows the secret: %q", stderr.String())
				}
				if sig == syscall.SIGKILL {
					clean := exec.Command(filepath.Join(binDir, "fsink"), "--s3-abort-stale", "--older-than", "0s", "s3://bkt/")
					clean.Env = s3Env(srv)
					out, err := clean.CombinedOutput()
					if err != nil {
						t.Fatalf("fsink --s3-abort-stale: %v: %s", err, out)
					}
					if at >= s3.MinPartSize && !bytes.HasPrefix(out, []byte("aborted s3://bkt/db.sql upload ")) {
						t.Errorf("fsink --s3-abort-stale printed %q, want the upload SIGKILL left", out)
					}
				}
				if n := listUploads(t, srv); n != 0 {
					t.Errorf("%d incomplete uploads left (stderr %q)", n, stderr.String())
				}
			})
		}
	}
}
