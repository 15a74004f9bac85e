package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// ReadOption configures a Reader.
type ReadOption func(*Reader) error

// Offset starts reading at byte n of the object. Default 0.
func Offset(n int64) ReadOption {
	return func(r *Reader) error {
		if n < 0 {
			return fmt.Errorf("offset %d: negative", n)
		}
		r.pos = n
		return nil
	}
}

// Length stops after n bytes. Default: to the end of the object.
func Length(n int64) ReadOption {
	return func(r *Reader) error {
		if n < 0 {
			return fmt.Errorf("length %d: negative", n)
		}
		r.length = n
		return nil
	}
}

// ErrChanged is returned when the object was replaced while it was read:
// the bytes already read are of the old object, the rest would not be.
var ErrChanged = errors.New("object changed while it was read")

// Reader streams one object with ranged GETs. After the first answer
// every request is pinned to the object's ETag (If-Match), so that a
// dropped connection resumes at the exact byte of the same object, and a
// replaced object is ErrChanged, never a mix of two. Read is for one
// goroutine; Close may be called from another to stop a Read.
type Reader struct {
	c           *Client
	ctx         context.Context
	cancel      context.CancelFunc
	bucket, key string
	name        string
	pos         int64 // next byte of the object to read
	length      int64 // -1: to the end
	end         int64 // first byte not to read; -1 until known
	etag        string
	started     bool // the first answer came
	size        int64
	body        io.ReadCloser
	failures    int   // failed attempts since the last good stretch
	sinceFail   int64 // bytes read since the last failure
	err         error

	mu     sync.Mutex
	closed bool
}

var _ io.ReadCloser = (*Reader)(nil)

// Open makes the first request, so that a missing object or a refused
// credential is an error here, not at the first Read.
func Open(ctx context.Context, c *Client, bucket, key string, opts ...ReadOption) (*Reader, error) {
	r := &Reader{c: c, bucket: bucket, key: key, name: DisplayName(bucket, key), length: -1, end: -1}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	if r.length == 0 {
		r.end = r.pos
		return r, nil
	}
	if err := r.open(); err != nil {
		r.cancel()
		return nil, err
	}
	return r, nil
}

// Size is the object's size (0 before the first answer).
func (r *Reader) Size() int64 { return r.size }

// ETag is the ETag the reads are pinned to.
func (r *Reader) ETag() string { return r.etag }

func (r *Reader) wrap(err error) error { return fmt.Errorf("%s: %w", r.name, err) }

// open sends a GET from r.pos, trying again as the client does.
func (r *Reader) open() error {
	h := http.Header{}
	rng := "bytes=" + strconv.FormatInt(r.pos, 10) + "-"
	if r.length >= 0 {
		last := r.pos + r.length - 1
		if r.end >= 0 {
			last = r.end - 1
		}
		rng += strconv.FormatInt(last, 10)
	}
	if r.pos > 0 || r.length >= 0 {
		h.Set("Range", rng)
	}
	if r.started && r.etag == "" {
		// Without an ETag a second request could read another version.
		return r.wrap(fmt.Errorf("get at byte %d: the connection dropped and the server gives no ETag to resume the same version", r.pos))
	}
	if r.etag != "" {
		h.Set("If-Match", r.etag)
	}
	resp, err := r.c.send(r.ctx, &request{op: "get", method: http.MethodGet, bucket: r.bucket, key: r.key, header: h})
	if err != nil {
		switch {
		case r.etag != "" && isCode(err, "PreconditionFailed", http.StatusPreconditionFailed):
			return r.wrap(ErrChanged)
		case isCode(err, "InvalidRange", http.StatusRequestedRangeNotSatisfiable) && !r.started:
			// Offset at or past the end: nothing to read.
			r.end = r.pos
			return nil
		}
		return r.wrap(err)
	}
	info := infoFrom(resp)
	if !r.started {
		r.started = true
		r.etag, r.size = info.ETag, info.Size
		r.end = r.size
		if r.length >= 0 {
			r.end = min(r.size, r.pos+r.length)
		}
	} else if info.ETag != r.etag {
		resp.Body.Close()
		return r.wrap(ErrChanged)
	}
	if h.Get("Range") != "" && resp.StatusCode != http.StatusPartialContent {
		resp.Body.Close()
		return r.wrap(fmt.Errorf("get: asked for %s, got HTTP %d", rng, resp.StatusCode))
	}
	if resp.StatusCode == http.StatusPartialContent {
		cr := resp.Header.Get("Content-Range")
		if !strings.HasPrefix(cr, "bytes "+strconv.FormatInt(r.pos, 10)+"-") {
			resp.Body.Close()
			return r.wrap(fmt.Errorf("get: asked for %s, got %q", rng, cr))
		}
	}
	r.body = resp.Body
	return nil
}

// Read reads the object, resuming after a dropped connection at the next
// byte: as many times in a row as the client tries a request, the count
// starting anew after each MiB that came.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	for {
		if r.end >= 0 && r.pos >= r.end {
			r.closeBody()
			return 0, io.EOF
		}
		if r.body == nil {
			if err := r.open(); err != nil {
				r.err = err
				return 0, err
			}
			continue
		}
		if r.end >= 0 && int64(len(p)) > r.end-r.pos {
			p = p[:r.end-r.pos]
		}
		n, err := r.body.Read(p)
		r.pos += int64(n)
		r.sinceFail += int64(n)
		if err == nil || (err == io.EOF && n > 0) {
			if err == io.EOF {
				r.closeBody()
			}
			return n, nil
		}
		r.closeBody()
		if err == io.EOF && r.pos >= r.end {
			return n, io.EOF
		}
		if cerr := r.ctx.Err(); cerr != nil {
			r.err = r.wrap(cerr)
			return n, r.err
		}
		// Dropped before the end: resume at r.pos. A failure after a good
		// stretch (1 MiB) starts the count anew; a server that cuts every
		// answer short ends the read after the client's attempts.
		if r.sinceFail >= 1<<20 {
			r.failures = 0
		}
		r.sinceFail = 0
		r.failures++
		if r.failures >= r.c.attempts {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			r.err = r.wrap(fmt.Errorf("get at byte %d: %w, after %d attempts", r.pos, netError(err), r.failures))
			return n, r.err
		}
		if werr := r.c.wait(r.ctx, nil, r.failures+1); werr != nil {
			r.err = r.wrap(werr)
			return n, r.err
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (r *Reader) closeBody() {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
}

// Close stops a Read under way and releases the connection.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		r.cancel()
	}
	return nil
}
