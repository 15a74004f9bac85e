package s3

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client sends signed requests to one S3 endpoint. It is safe for
// concurrent use.
type Client struct {
	cfg      Config
	base     *url.URL // endpoint; nil for AWS
	hc       *http.Client
	attempts int
	delay    time.Duration // first backoff step
	maxDelay time.Duration
	now      func() time.Time
}

// ClientOption configures a Client.
type ClientOption func(*Client) error

// Attempts sets how many times a request is tried before its error is
// final: a connection error, a timeout, a 5xx answer, 429 or SlowDown is
// tried again. Default 5; at least 1.
func Attempts(n int) ClientOption {
	return func(c *Client) error {
		if n < 1 {
			return fmt.Errorf("attempts %d: want at least 1", n)
		}
		c.attempts = n
		return nil
	}
}

// Backoff sets the first and the longest wait between attempts; each wait
// is drawn at random up to first·2^(attempt-1), capped by max ("full
// jitter"). Default 200ms and 5s.
func Backoff(first, max time.Duration) ClientOption {
	return func(c *Client) error {
		if first <= 0 || max < first {
			return fmt.Errorf("backoff %v, %v: want 0 < first <= max", first, max)
		}
		c.delay, c.maxDelay = first, max
		return nil
	}
}

// HTTPClient sets the HTTP client. Default: one with its own transport
// (proxies from the environment, 10s to connect, 5 minutes for an answer's
// headers).
func HTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) error { c.hc = hc; return nil }
}

// NewClient returns a client for cfg.
func NewClient(cfg Config, opts ...ClientOption) (*Client, error) {
	c := &Client{cfg: cfg, attempts: 5, delay: 200 * time.Millisecond, maxDelay: 5 * time.Second, now: time.Now}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.cfg.Region == "" {
		c.cfg.Region = "us-east-1"
	}
	if cfg.Credentials.AccessKeyID == "" || cfg.Credentials.SecretAccessKey == "" {
		return nil, ErrNoCredentials
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("endpoint %q: not an http or https URL", redactURL(cfg.Endpoint))
		}
		u.User = nil
		c.base = u
	}
	if c.hc == nil {
		tr := &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost:   32,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 5 * time.Minute,
			ExpectContinueTimeout: time.Second,
			WriteBufferSize:       64 << 10,
			ReadBufferSize:        64 << 10,
			DisableCompression:    true,
		}
		c.hc = &http.Client{Transport: tr}
	}
	return c, nil
}

// objectURL returns the URL of bucket/key with query q.
func (c *Client) objectURL(bucket, key string, q url.Values) *url.URL {
	u := &url.URL{Scheme: "https", Host: "s3." + c.cfg.Region + ".amazonaws.com"}
	basePath := ""
	if c.base != nil {
		u.Scheme, u.Host = c.base.Scheme, c.base.Host
		basePath = strings.TrimSuffix(c.base.Path, "/")
	}
	p := basePath + "/"
	if c.cfg.PathStyle || strings.Contains(bucket, ".") {
		p += bucket
		if key != "" {
			p += "/" + key
		}
	} else {
		u.Host = bucket + "." + u.Host
		p += key
	}
	u.Path = p
	u.RawPath = uriEncode(p, false)
	if len(q) > 0 {
		u.RawQuery = canonicalQuery(q)
	}
	return u
}

// request is one S3 call: what send needs to make it, and make it again.
type request struct {
	op          string // for errors: "upload part 3"
	method      string
	bucket, key string
	query       url.Values
	header      http.Header
	body        func() io.Reader // a fresh body for each attempt; nil: none
	length      int64
	stop        <-chan struct{} // closed: no further attempt (the one under way goes on)
}

// Error is a failed S3 call. It never holds credentials.
type Error struct {
	Op       string // what was tried: "complete upload"
	Status   int    // HTTP status; 0 when none came
	Code     string // S3's error code: "NoSuchKey"
	Message  string // S3's message
	Attempts int    // how many times it was tried
	Err      error  // the transport error, when Status is 0
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch {
	case e.Status == 0:
		b.WriteString(e.Err.Error())
	case e.Code != "" && e.Message != "":
		fmt.Fprintf(&b, "%s: %s (HTTP %d)", e.Code, e.Message, e.Status)
	case e.Code != "":
		fmt.Fprintf(&b, "%s (HTTP %d)", e.Code, e.Status)
	default:
		fmt.Fprintf(&b, "HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, ", after %d attempts", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsCode reports whether err is an S3 error with code or HTTP status.
func isCode(err error, code string, status int) bool {
	var e *Error
	return errors.As(err, &e) && (e.Code == code || (status != 0 && e.Status == status))
}

type xmlError struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// errorFrom reads an error answer (at most 64 KiB of it) into an *Error.
func errorFrom(op string, resp *http.Response) *Error {
	e := &Error{Op: op, Status: resp.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var x xmlError
	if xml.Unmarshal(body, &x) == nil {
		e.Code, e.Message = x.Code, clean(x.Message)
	}
	return e
}

// clean keeps one line of printable text, at most 200 bytes.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// retryable reports whether an answer is worth another attempt.
func retryable(e *Error) bool {
	switch {
	case e.Status == 0:
		return true
	case e.Status >= 500, e.Status == http.StatusTooManyRequests:
		return true
	}
	switch e.Code {
	case "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "RequestTimeTooSkewed":
		return true
	}
	return false
}

// send makes r, trying again what is worth it, and returns the first 2xx
// (or 304/206) answer with its body open; any other answer is an *Error.
func (c *Client) send(ctx context.Context, r *request) (*http.Response, error) {
	var last *Error
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			if err := c.wait(ctx, r.stop, attempt); err != nil {
				last.Attempts = attempt - 1
				return nil, last
			}
		}
		resp, err := c.once(ctx, r)
		if err == nil && resp.StatusCode < 300 {
			return resp, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, &Error{Op: r.op, Err: ctx.Err(), Attempts: attempt}
			}
			last = &Error{Op: r.op, Err: netError(err)}
		} else {
			last = errorFrom(r.op, resp)
			resp.Body.Close()
		}
		if !retryable(last) || attempt >= c.attempts {
			last.Attempts = attempt
			return nil, last
		}
	}
}

// netError strips the URL from a transport error: the URL is ours, the
// cause is what the user needs.
func netError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (c *Client) wait(ctx context.Context, stop <-chan struct{}, attempt int) error {
	d := c.delay << (attempt - 2)
	if d > c.maxDelay || d <= 0 {
		d = c.maxDelay
	}
	d = time.Duration(rand.Int64N(int64(d)) + 1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-stop:
		return errStopped
	case <-t.C:
		return nil
	}
}

var errStopped = errors.New("stopped")

func (c *Client) once(ctx context.Context, r *request) (*http.Response, error) {
	u := c.objectURL(r.bucket, r.key, r.query)
	var body io.Reader
	if r.body != nil {
		body = r.body()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.URL = u
	for k, v := range r.header {
		req.Header[k] = append([]string(nil), v...)
	}
	if r.body != nil {
		req.ContentLength = r.length
		if r.length == 0 {
			req.Body = http.NoBody
		}
		req.GetBody = nil
	}
	hash := unsignedPayload
	if r.body == nil {
		hash = emptySHA256
	}
	sign(req, c.cfg.Credentials, c.cfg.Region, "s3", hash, c.now())
	return c.hc.Do(req)
}

// call makes r and decodes an XML answer into out (when not nil). S3 may
// answer 200 with an <Error> body (CompleteMultipartUpload): that is an
// error too.
func (c *Client) call(ctx context.Context, r *request, out any) (http.Header, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, &Error{Op: r.op, Err: err}
	}
	if bytes.Contains(body[:min(len(body), 256)], []byte("<Error>")) {
		var x xmlError
		xml.Unmarshal(body, &x)
		return nil, &Error{Op: r.op, Status: resp.StatusCode, Code: x.Code, Message: clean(x.Message), Attempts: 1}
	}
	if out != nil {
		if err := xml.Unmarshal(body, out); err != nil {
			return nil, &Error{Op: r.op, Status: resp.StatusCode, Err: fmt.Errorf("bad answer: %v", err)}
		}
	}
	return resp.Header, nil
}

// ObjectInfo is what HEAD tells of an object.
type ObjectInfo struct {
	Size         int64
	ETag         string
	ChecksumCRC  string // x-amz-checksum-crc32c, when the server keeps one
	ContentType  string
	LastModified time.Time
	Metadata     map[string]string // user metadata, names in lower case
}

// Stat returns the object's size, ETag and checksum; a missing object is
// an *Error with Status 404.
func (c *Client) Stat(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	h := http.Header{}
	h.Set("X-Amz-Checksum-Mode", "ENABLED")
	resp, err := c.send(ctx, &request{op: "stat", method: http.MethodHead, bucket: bucket, key: key, header: h})
	if err != nil {
		return ObjectInfo{}, err
	}
	resp.Body.Close()
	return infoFrom(resp), nil
}

func infoFrom(resp *http.Response) ObjectInfo {
	size, _ := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	if cr := resp.Header.Get("Content-Range"); cr != "" {
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				size = n
			}
		}
	}
	lm, _ := http.ParseTime(resp.Header.Get("Last-Modified"))
	var meta map[string]string
	for k, v := range resp.Header {
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok && len(v) > 0 {
			if meta == nil {
				meta = map[string]string{}
			}
			meta[name] = v[0]
		}
	}
	return ObjectInfo{
		Metadata:     meta,
		Size:         size,
		ETag:         resp.Header.Get("ETag"),
		ChecksumCRC:  resp.Header.Get("X-Amz-Checksum-Crc32c"),
		ContentType:  resp.Header.Get("Content-Type"),
		LastModified: lm,
	}
}
