// Package s3test runs a real S3 server for tests: Versity Gateway
// (versitygw, built with `go install
// github.com/versity/versitygw/cmd/versitygw@v1.8.0`) serving a fresh
// folder on a loopback port, and a fault proxy to put in front of it.
package s3test

import (
	"context"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpipe/fpipe/stages/s3"
)

// Access and Secret are the server's credentials.
const (
	Access = "fpipetestaccess"
	Secret = "fpipe/test+SECRET/do-not-print"
)

// Server is a running versitygw.
type Server struct {
	URL  string // http://127.0.0.1:PORT
	Dir  string // the folder it serves: one subfolder per bucket
	cmd  *exec.Cmd
	logf string
}

// Binary finds versitygw on PATH or in $GOPATH/bin; "" if absent.
func Binary() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	for _, d := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(d, "bin", "versitygw")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		p := filepath.Join(gobin, "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Require returns the server binary, or skips t when it is absent, except
// under CI (CI=true), where an absent server fails t.
func Require(t testing.TB) string {
	t.Helper()
	bin := Binary()
	if bin == "" {
		msg := "versitygw not found on PATH or in $GOPATH/bin: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

// Start runs a server on a free loopback port with a fresh folder and
// the buckets named, and stops it when t ends.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	bin := Require(t)
	dir := t.TempDir()
	var last error
	for range 3 {
		s, err := start(bin, dir)
		if err == nil {
			t.Cleanup(s.Stop)
			for _, b := range buckets {
				if err := s.CreateBucket(b); err != nil {
					t.Fatalf("create bucket %s: %v", b, err)
				}
			}
			return s
		}
		last = err
	}
	t.Fatalf("versitygw did not start: %v", last)
	return nil
}

// StartDir is Start for callers without a testing.TB (a demo, a
// benchmark): the caller calls Stop.
func StartDir(dir string) (*Server, error) {
	bin := Binary()
	if bin == "" {
		return nil, errors.New("versitygw not found")
	}
	return start(bin, dir)
}

func start(bin, dir string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	logf := filepath.Join(os.TempDir(), fmt.Sprintf("versitygw-%d.log", time.Now().UnixNano()))
	lf, err := os.Create(logf)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	cmd := exec.Command(bin, "--port", addr, "--access", Access, "--secret", Secret, "posix", dir)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + addr, Dir: dir, cmd: cmd, logf: logf}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			b, _ := os.ReadFile(logf)
			os.Remove(logf)
			return nil, fmt.Errorf("exited: %s", strings.TrimSpace(string(b)))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-exited
	os.Remove(logf)
	return nil, errors.New("no answer within 30s")
}

// CreateBucket creates a bucket through the S3 API (a folder made by
// hand has no ACL, which some requests then fail on).
func (s *Server) CreateBucket(name string) error {
	cfg, err := s3.LoadConfig(s.Getenv(""))
	if err != nil {
		return err
	}
	c, err := s3.NewClient(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.CreateBucket(ctx, name)
}

// Stop stops the server.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Process.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			s.cmd.Process.Kill()
		}
	}
	os.Remove(s.logf)
}

// Env returns the environment that points AWS tools (and fpipe's) at the
// server: endpoint, credentials, region, and no shared files.
func (s *Server) Env(endpoint string) []string {
	if endpoint == "" {
		endpoint = s.URL
	}
	return []string{
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ACCESS_KEY_ID=" + Access,
		"AWS_SECRET_ACCESS_KEY=" + Secret,
		"AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=/nonexistent",
		"AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
	}
}

// Getenv is Env as a lookup function.
func (s *Server) Getenv(endpoint string) func(string) string {
	m := map[string]string{}
	for _, kv := range s.Env(endpoint) {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}
