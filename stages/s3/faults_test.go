package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/s3"
	"github.com/fpipe/fpipe/stages/s3/s3test"
)

// faultSetup starts a server with an old object at key, and a proxy.
func faultSetup(t *testing.T, key string) (direct *s3.Client, via *s3.Client, proxy *s3test.Proxy, old []byte) {
	t.Helper()
	srv := s3test.Start(t, bucket)
	direct = client(t, srv, "")
	old = data(1000, 99)
	if err := put(t, direct, key, old); err != nil {
		t.Fatal(err)
	}
	proxy = s3test.NewProxy(t, srv.URL, nil)
	return direct, client(t, srv, proxy.URL), proxy, old
}

// Faults in a multipart upload of 4 parts of 5 MiB: what is retried ends
// with the new object; what cannot succeed ends with the old object and
// no upload left.
func TestUploadFaults(t *testing.T) {
	const key = "faults/obj"
	direct, via, proxy, old := faultSetup(t, key)
	payload := data(4*s3.MinPartSize-3, 7)
	slow := s3test.Action{Status: http.StatusServiceUnavailable, Code: "SlowDown"}
	internal := s3test.Action{Status: http.StatusInternalServerError, Code: "InternalError"}
	for _, tc := range []struct {
		name string
		rule s3test.Rule
		ok   bool
	}{
		{"slowdown at the first part, once", s3test.Only("part", 1, slow, 1), true},
		{"500 at a middle part, twice", s3test.Only("part", 2, internal, 1, 2), true},
		{"connection cut at a middle part", s3test.Only("part", 3, s3test.Action{Cut: true}, 1), true},
		{"slowdown at create", s3test.Only("create", 0, slow, 1), true},
		{"500 at complete, once", s3test.Only("complete", 0, internal, 1), true},
		{"connection cut at complete", s3test.Only("complete", 0, s3test.Action{Cut: true}, 1), true},
		{"complete's answer lost", s3test.Only("complete", 0, s3test.Action{Lose: true}, 1), true},
		{"delay at a part", s3test.Only("part", 2, s3test.Action{Delay: 300 * time.Millisecond}, 1), true},
		{"500 at a middle part, always", s3test.Only("part", 2, internal), false},
		{"connection cut at the last part, always", s3test.Only("part", 4, s3test.Action{Cut: true}), false},
		{"403 at a part", s3test.Only("part", 3, s3test.Action{Status: http.StatusForbidden, Code: "AccessDenied"}), false},
		{"slowdown at complete, always", s3test.Only("complete", 0, slow), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := put(t, direct, key, old); err != nil {
				t.Fatal(err)
			}
			proxy.SetRule(tc.rule)
			err := put(t, via, key, payload, s3.BufferMemory(mem))
			got, gerr := get(t, direct, key)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if tc.ok {
				if err != nil {
					t.Fatalf("put = %v, want success (calls: %s)", err, s3test.Kinds(proxy.Calls()))
				}
				same(t, got, payload)
			} else {
				if err == nil {
					t.Fatalf("put succeeded, want an error (calls: %s)", s3test.Kinds(proxy.Calls()))
				}
				if strings.Contains(err.Error(), s3test.Secret) {
					t.Errorf("error shows the secret: %v", err)
				}
				same(t, got, old)
				t.Log(err)
			}
			noUploads(t, direct)
		})
	}
}

// A short stream is one PutObject: its faults too.
func TestPutFaults(t *testing.T) {
	const key = "faults/small"
	direct, via, proxy, old := faultSetup(t, key)
	payload := data(1234, 5)
	proxy.SetRule(s3test.Only("put", 0, s3test.Action{Cut: true}, 1))
	if err := put(t, via, key, payload); err != nil {
		t.Fatalf("put after one cut = %v", err)
	}
	got, _ := get(t, direct, key)
	same(t, got, payload)
	if err := put(t, direct, key, old); err != nil {
		t.Fatal(err)
	}
	proxy.SetRule(s3test.Only("put", 0, s3test.Action{Status: 503, Code: "SlowDown"}))
	err := put(t, via, key, payload)
	if err == nil || !strings.Contains(err.Error(), "SlowDown") || !strings.Contains(err.Error(), "after 5 attempts") {
		t.Fatalf("put = %v, want SlowDown after 5 attempts", err)
	}
	got, _ = get(t, direct, key)
	same(t, got, old)
}

// A GET cut midway resumes at the next byte, pinned to the same version.
func TestReadResumes(t *testing.T) {
	const key = "faults/read"
	direct, via, proxy, _ := faultSetup(t, key)
	payload := data(3<<20+5, 11)
	if err := put(t, direct, key, payload); err != nil {
		t.Fatal(err)
	}
	proxy.SetRule(s3test.Only("get", 0, s3test.Action{CutAfter: 1<<20 + 3}, 1, 2))
	got, err := get(t, via, key)
	if err != nil {
		t.Fatalf("get = %v (calls: %s)", err, s3test.Kinds(proxy.Calls()))
	}
	same(t, got, payload)
	if n := len(proxy.Calls()); n != 3 {
		t.Errorf("%d GETs, want 3 (calls: %s)", n, s3test.Kinds(proxy.Calls()))
	}
	// Always cut: the read fails, it does not hang or loop.
	proxy.SetRule(s3test.Only("get", 0, s3test.Action{CutAfter: 10}))
	_, err = get(t, via, key)
	if err == nil || !strings.Contains(err.Error(), "attempts") {
		t.Fatalf("get with every answer cut = %v, want an error after the attempts", err)
	}
}

// An object replaced while it is read is an error, never a mix.
func TestReadChanged(t *testing.T) {
	const key = "faults/changed"
	direct, via, proxy, _ := faultSetup(t, key)
	v1, v2 := data(2<<20, 1), data(2<<20, 2)
	if err := put(t, direct, key, v1); err != nil {
		t.Fatal(err)
	}
	proxy.SetRule(s3test.Only("get", 0, s3test.Action{CutAfter: 1 << 20}, 1))
	r, err := s3.Open(context.Background(), via, bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	first := make([]byte, 1<<20)
	if _, err := io.ReadFull(r, first); err != nil {
		t.Fatal(err)
	}
	if err := put(t, direct, key, v2); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if !errors.Is(err, s3.ErrChanged) {
		t.Fatalf("read after the object changed = %d bytes, %v; want ErrChanged", len(rest), err)
	}
	same(t, first, v1[:1<<20])
}

func TestReadRange(t *testing.T) {
	srv := s3test.Start(t, bucket)
	c := client(t, srv, "")
	payload := data(100000, 3)
	if err := put(t, c, "r", payload); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ off, n int64 }{
		{0, -1}, {1, -1}, {99999, -1}, {100000, -1}, {200000, -1}, {0, 0}, {0, 1}, {5, 10}, {99990, 100},
	} {
		opts := []s3.ReadOption{s3.Offset(tc.off)}
		if tc.n >= 0 {
			opts = append(opts, s3.Length(tc.n))
		}
		got, err := get(t, c, "r", opts...)
		if err != nil {
			t.Fatalf("get(offset %d, length %d) = %v", tc.off, tc.n, err)
		}
		lo := min(tc.off, 100000)
		hi := int64(100000)
		if tc.n >= 0 {
			hi = min(hi, lo+tc.n)
		}
		if !bytes.Equal(got, payload[lo:hi]) {
			t.Errorf("get(offset %d, length %d) = %d bytes, want %d", tc.off, tc.n, len(got), hi-lo)
		}
	}
	if _, err := get(t, c, "missing"); err == nil || !strings.Contains(err.Error(), "NoSuchKey") {
		t.Errorf("get of a missing key = %v, want NoSuchKey", err)
	}
}

// errAfter fails after n bytes, as an upstream stage that breaks.
type errAfter struct {
	r io.Reader
}

var errUpstream = errors.New("upstream broke")

func (e *errAfter) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, errUpstream
	}
	return n, err
}

// Every failure keeps the old object and leaves no upload.
func TestFailureKeepsOld(t *testing.T) {
	srv := s3test.Start(t, bucket)
	c := client(t, srv, "")
	const key = "keep/obj"
	old := data(777, 1)
	big := data(3*s3.MinPartSize+1, 2)
	reset := func(t *testing.T) {
		if err := put(t, c, key, old); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T) {
		t.Helper()
		got, err := get(t, c, key)
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, old)
		noUploads(t, c)
	}
	t.Run("upstream error through Run", func(t *testing.T) {
		reset(t)
		for _, n := range []int{0, 10, s3.MinPartSize, len(big)} {
			w, err := s3.Create(context.Background(), c, bucket, key, s3.BufferMemory(mem))
			if err != nil {
				t.Fatal(err)
			}
			_, err = stages.Run(context.Background(), stages.Chain{Source: &errAfter{bytes.NewReader(big[:n])}, Sink: w})
			if !errors.Is(err, errUpstream) {
				t.Fatalf("Run = %v, want the upstream error", err)
			}
			check(t)
		}
	})
	t.Run("abort midway", func(t *testing.T) {
		reset(t)
		w, err := s3.Create(context.Background(), c, bucket, key, s3.BufferMemory(mem))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(big); err != nil {
			t.Fatal(err)
		}
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(); err == nil {
			t.Fatal("Commit after Abort succeeded")
		}
		if _, err := w.Write([]byte("x")); err == nil {
			t.Fatal("Write after Abort succeeded")
		}
		check(t)
	})
	t.Run("abort from another goroutine during writes", func(t *testing.T) {
		reset(t)
		w, err := s3.Create(context.Background(), c, bucket, key, s3.BufferMemory(mem))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() {
			for i := 0; ; i++ {
				if _, err := w.Write(big[:1<<20]); err != nil {
					done <- err
					return
				}
			}
		}()
		time.Sleep(100 * time.Millisecond)
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err == nil {
			t.Fatal("writes went on after Abort")
		}
		check(t)
	})
	t.Run("context cancelled", func(t *testing.T) {
		reset(t)
		ctx, cancel := context.WithCancel(context.Background())
		w, err := s3.Create(ctx, c, bucket, key, s3.BufferMemory(mem))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(big[:2*s3.MinPartSize]); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := w.Commit(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Commit after cancel = %v, want context.Canceled", err)
		}
		w.Abort()
		check(t)
	})
	t.Run("empty input", func(t *testing.T) {
		reset(t)
		err := put(t, c, key, nil)
		if !errors.Is(err, s3.ErrEmpty) {
			t.Fatalf("empty put = %v, want ErrEmpty", err)
		}
		check(t)
		if err := put(t, c, key, nil, s3.AllowEmpty()); err != nil {
			t.Fatalf("empty put with AllowEmpty = %v", err)
		}
		if got, _ := get(t, c, key); len(got) != 0 {
			t.Fatalf("object has %d bytes, want 0", len(got))
		}
	})
	t.Run("no clobber", func(t *testing.T) {
		reset(t)
		if _, err := s3.Create(context.Background(), c, bucket, key, s3.NoClobber()); !errors.Is(err, s3.ErrExists) {
			t.Fatalf("Create with NoClobber over an object = %v, want ErrExists", err)
		}
		for _, n := range []int{5, len(big)} {
			// The key appears between Create and Commit.
			k := key + "-nc" + strconv.Itoa(n)
			w, err := s3.Create(context.Background(), c, bucket, k, s3.NoClobber(), s3.BufferMemory(mem))
			if err != nil {
				t.Fatal(err)
			}
			w.Write(big[:n])
			if err := put(t, c, k, old); err != nil {
				t.Fatal(err)
			}
			if err := w.Commit(); !errors.Is(err, s3.ErrExists) {
				t.Fatalf("Commit of %d bytes with NoClobber after the key appeared = %v, want ErrExists", n, err)
			}
			got, _ := get(t, c, k)
			same(t, got, old)
			noUploads(t, c)
		}
	})
}

func TestBadSecretNotShown(t *testing.T) {
	srv := s3test.Start(t, bucket)
	cfg, err := s3.LoadConfig(srv.Getenv(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Credentials.SecretAccessKey = "wrong/" + s3test.Secret
	cfg.Credentials.SessionToken = "TOKEN-must-not-show"
	c, err := s3.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = put(t, c, "k", data(10, 1))
	if err == nil {
		t.Fatal("put with a wrong secret succeeded")
	}
	for _, s := range []string{s3test.Secret, "TOKEN-must-not-show"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q shows a credential", err)
		}
	}
	if !strings.Contains(err.Error(), "s3://bkt/k") {
		t.Errorf("error %q does not name the object", err)
	}
}

// As one of several outputs: a later output's failure before Commit
// aborts the upload; after Commit the object stays and Rollback says so.
func TestTwoPhase(t *testing.T) {
	srv := s3test.Start(t, bucket)
	c := client(t, srv, "")
	old, payload := data(50, 1), data(2*s3.MinPartSize+3, 2)
	if err := put(t, c, "tp", old); err != nil {
		t.Fatal(err)
	}
	failing := &failingOutput{}
	w, err := s3.Create(context.Background(), c, bucket, "tp", s3.BufferMemory(mem))
	if err != nil {
		t.Fatal(err)
	}
	sumFilter := stages.Filter{Name: "sum", Writer: func(dst io.Writer) (io.WriteCloser, error) {
		return &committerWriter{Writer: dst, out: failing}, nil
	}}
	failing.prepareErr = errors.New("sum: read-only file system")
	_, err = stages.Run(context.Background(), stages.Chain{Source: bytes.NewReader(payload), Filters: []stages.Filter{sumFilter}, Sink: w})
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("Run with a failing Prepare = %v", err)
	}
	got, _ := get(t, c, "tp")
	same(t, got, old)
	noUploads(t, c)

	w, err = s3.Create(context.Background(), c, bucket, "tp", s3.BufferMemory(mem))
	if err != nil {
		t.Fatal(err)
	}
	failing.prepareErr, failing.commitErr = nil, errors.New("sum: rename failed")
	_, err = stages.Run(context.Background(), stages.Chain{Source: bytes.NewReader(payload), Filters: []stages.Filter{sumFilter}, Sink: w})
	if !errors.Is(err, s3.ErrNoRollback) {
		t.Fatalf("Run with a failing later Commit = %v, want ErrNoRollback in it", err)
	}
	got, _ = get(t, c, "tp")
	same(t, got, payload)
	noUploads(t, c)
}

// failingOutput is a TwoPhase Committer whose steps fail as told.
type failingOutput struct{ prepareErr, commitErr error }

func (f *failingOutput) Prepare() error  { return f.prepareErr }
func (f *failingOutput) Commit() error   { return f.commitErr }
func (f *failingOutput) Abort() error    { return nil }
func (f *failingOutput) Rollback() error { return nil }
func (f *failingOutput) Finish() error   { return nil }

// committerWriter passes bytes through and publishes out.
type committerWriter struct {
	io.Writer
	out *failingOutput
}

func (c *committerWriter) Close() error    { return nil }
func (c *committerWriter) Prepare() error  { return c.out.Prepare() }
func (c *committerWriter) Commit() error   { return c.out.Commit() }
func (c *committerWriter) Abort() error    { return c.out.Abort() }
func (c *committerWriter) Rollback() error { return c.out.Rollback() }
func (c *committerWriter) Finish() error   { return c.out.Finish() }
