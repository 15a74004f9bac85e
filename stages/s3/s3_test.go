package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/fpipe/fpipe/stages/s3"
	"github.com/fpipe/fpipe/stages/s3/s3test"
)

const bucket = "bkt"

func client(t testing.TB, srv *s3test.Server, endpoint string) *s3.Client {
	t.Helper()
	cfg, err := s3.LoadConfig(srv.Getenv(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	c, err := s3.NewClient(cfg, s3.Backoff(time.Millisecond, 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func data(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func put(t testing.TB, c *s3.Client, key string, b []byte, opts ...s3.Option) error {
	t.Helper()
	w, err := s3.Create(context.Background(), c, bucket, key, opts...)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, bytes.NewReader(b)); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

func get(t testing.TB, c *s3.Client, key string, opts ...s3.ReadOption) ([]byte, error) {
	t.Helper()
	r, err := s3.Open(context.Background(), c, bucket, key, opts...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// noUploads fails t if an incomplete upload is left in the bucket.
func noUploads(t testing.TB, c *s3.Client) {
	t.Helper()
	ups, err := c.ListUploads(context.Background(), bucket, "")
	if err != nil {
		t.Fatalf("ListUploads: %v", err)
	}
	if len(ups) != 0 {
		t.Errorf("incomplete uploads left: %+v", ups)
	}
}

func same(t testing.TB, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes sha256 %x, want %d bytes sha256 %x", len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
	}
}

const mem = s3.MinBufferMemory // 10 MiB: parts of 5 MiB

func TestRoundTrip(t *testing.T) {
	srv := s3test.Start(t, bucket)
	c := client(t, srv, "")
	part := s3.MinPartSize
	for _, n := range []int{0, 1, part - 1, part, part + 1, 3*part + 17} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			want := data(n, uint64(n))
			key := "rt/" + strconv.Itoa(n)
			if err := put(t, c, key, want, s3.BufferMemory(mem), s3.AllowEmpty()); err != nil {
				t.Fatalf("put: %v", err)
			}
			got, err := get(t, c, key)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			same(t, got, want)
			onDisk, err := os.ReadFile(filepath.Join(srv.Dir, bucket, "rt", strconv.Itoa(n)))
			if err != nil {
				t.Fatal(err)
			}
			same(t, onDisk, want)
		})
	}
	noUploads(t, c)
}

func TestContentTypeAndMetadata(t *testing.T) {
	srv := s3test.Start(t, bucket)
	c := client(t, srv, "")
	for _, n := range []int{10, s3.MinPartSize + 1} {
		key := "meta/" + strconv.Itoa(n)
		if err := put(t, c, key, data(n, 1), s3.BufferMemory(mem), s3.ContentType("text/plain"), s3.Metadata("Owner", "ops"), s3.Metadata("run_id", "7")); err != nil {
			t.Fatal(err)
		}
		info, err := c.Stat(context.Background(), bucket, key)
		if err != nil {
			t.Fatal(err)
		}
		if info.ContentType != "text/plain" || info.Metadata["owner"] != "ops" || info.Metadata["run_id"] != "7" || info.Size != int64(n) {
			t.Errorf("Stat(%s) = %+v, want text/plain, owner=ops, run_id=7, %d bytes", key, info, n)
		}
	}
	for _, o := range []s3.Option{s3.ContentType(""), s3.ContentType("a\nb"), s3.Metadata("a b", "x"), s3.Metadata("a", "\x01"), s3.BufferMemory(1 << 20), s3.SizeHint(-1)} {
		if err := s3.CheckOptions(o); err == nil {
			t.Errorf("CheckOptions(bad option) = nil")
		}
	}
}

// Keys with characters that URLs and signatures encode.
func TestOddKeys(t *testing.T) {
	srv := s3test.Start(t, bucket)
	c := client(t, srv, "")
	for i, key := range []string{"a b/c+d", "é/ü~_-.x", "q?x=1&y=%20", "dir//double", "(paren)[x]!*'"} {
		want := data(100+i, uint64(i))
		if err := put(t, c, key, want); err != nil {
			t.Errorf("put %q: %v", key, err)
			continue
		}
		got, err := get(t, c, key)
		if err != nil {
			t.Errorf("get %q: %v", key, err)
			continue
		}
		same(t, got, want)
	}
}
