package s3

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/fpipe/fpipe/stages"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Option configures a Writer.
type Option func(*Writer) error

// BufferMemory sets the memory for part buffers, allocated once at Create
// and never more: parts are filled and sent from it, and a part fits in
// it. Default DefaultBufferMemory (48 MiB); at least MinBufferMemory.
// The longest stream of unknown length it allows is MaxStreamSize(n).
func BufferMemory(n int64) Option {
	return func(w *Writer) error {
		if n < MinBufferMemory {
			return fmt.Errorf("buffer memory %d: want at least %d", n, MinBufferMemory)
		}
		w.pool = n
		return nil
	}
}

// SizeHint sets the expected length of the stream, so that parts are
// sized for it from the first (a stream up to 5% longer still fits).
// Default 0: unknown; parts then grow as they are used.
func SizeHint(n int64) Option {
	return func(w *Writer) error {
		if n < 0 || n > 5<<40 {
			return fmt.Errorf("size hint %d: want 0 to 5 TiB", n)
		}
		w.hint = n
		return nil
	}
}

// ContentType sets the object's Content-Type. Default
// application/octet-stream.
func ContentType(s string) Option {
	return func(w *Writer) error {
		if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r > '~' }) {
			return fmt.Errorf("content type %q: want printable ASCII", s)
		}
		w.contentType = s
		return nil
	}
}

// Metadata adds user metadata (x-amz-meta-NAME: value). Names are
// letters, digits, '-' and '_'; values printable ASCII.
func Metadata(name, value string) Option {
	return func(w *Writer) error {
		if name == "" || strings.ContainsFunc(name, func(r rune) bool {
			return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_')
		}) {
			return fmt.Errorf("metadata name %q: want letters, digits, - and _", name)
		}
		if strings.ContainsFunc(value, func(r rune) bool { return r < ' ' || r > '~' }) {
			return fmt.Errorf("metadata %s value: want printable ASCII", name)
		}
		if w.meta == nil {
			w.meta = map[string]string{}
		}
		w.meta[strings.ToLower(name)] = value
		return nil
	}
}

// NoClobber refuses an existing object: at Create (HEAD), and at Commit
// with a conditional write (If-None-Match: *). A server that does not
// support conditional writes fails the Commit with ErrNoConditional.
// Default off.
func NoClobber() Option { return func(w *Writer) error { w.noClobber = true; return nil } }

// AllowEmpty lets an empty stream replace a non-empty object. By default
// Commit refuses it (ErrEmpty) and keeps the object. Default off.
func AllowEmpty() Option { return func(w *Writer) error { w.allowEmpty = true; return nil } }

var (
	// ErrEmpty is why Commit refuses an empty stream over a non-empty object.
	ErrEmpty = errors.New("empty input would replace a non-empty object (use --allow-empty to allow it)")
	// ErrExists is why NoClobber refuses.
	ErrExists = errors.New("object exists")
	// ErrNoConditional is returned with NoClobber by a server that does
	// not support conditional writes: nothing was written.
	ErrNoConditional = errors.New("the server does not support conditional writes (If-None-Match), so --no-clobber cannot be kept; nothing written")
	// ErrChecksum is returned when the completed object's checksum is not
	// the one of the bytes that passed through.
	ErrChecksum = errors.New("checksum mismatch")
)

// Writer uploads one object as a stages.Sink. Write and ReadFrom are for
// one goroutine; Commit and Abort may be called from any goroutine (a
// signal handler may Abort while a Write is under way: the Write then
// fails). Nothing is visible at the key until Commit succeeds.
type Writer struct {
	c           *Client
	bucket, key string
	name        string // s3://bucket/key, for errors
	pool        int64
	hint        int64
	contentType string
	meta        map[string]string
	noClobber   bool
	allowEmpty  bool

	plan     partPlan
	slab     []byte          // the pool: an anonymous mapping
	free     chan []byte     // free chunks of the pool
	ctx      context.Context // every request's; cancelled only when waiting is over
	cancel   context.CancelFunc
	parent   context.Context // Create's
	unwatch  func() bool     // stops watching it
	stop     chan struct{}   // closed at the first error or Abort: nothing new starts
	once     sync.Once
	cur      *part // being filled
	nparts   int   // parts sent or being sent
	prepared bool  // Prepare succeeded
	n        int64 // bytes written

	mu       sync.Mutex
	state    int
	uploadID string
	wg       sync.WaitGroup
	done     []completedPart // by part number - 1

	errMu sync.Mutex
	err   error

	aborted  chan struct{} // closed when an Abort has finished
	abortErr error
}

const (
	stateOpen = iota
	stateCommitting
	stateCommitted
	stateAborted
)

var (
	_ io.Writer          = (*Writer)(nil)
	_ io.ReaderFrom      = (*Writer)(nil)
	_ stages.Sink        = (*Writer)(nil)
	_ stages.TwoPhase    = (*Writer)(nil)
	_ stages.ErrReporter = (*Writer)(nil)
)

type completedPart struct {
	XMLName        xml.Name `xml:"Part"`
	PartNumber     int      `xml:"PartNumber"`
	ETag           string   `xml:"ETag"`
	ChecksumCRC32C string   `xml:"ChecksumCRC32C,omitempty"`
	crc            uint32
	size           int64
}

// Create prepares to upload to bucket/key through c. It checks the
// destination (HEAD: NoClobber refuses an existing object) and allocates
// the buffer memory. Nothing is sent until the first part is full.
// ctx bounds every request, Commit's included.
func Create(ctx context.Context, c *Client, bucket, key string, opts ...Option) (*Writer, error) {
	w := &Writer{c: c, bucket: bucket, key: key, name: DisplayName(bucket, key),
		pool: DefaultBufferMemory, contentType: "application/octet-stream"}
	for _, o := range opts {
		if err := o(w); err != nil {
			return nil, err
		}
	}
	if bucket == "" || key == "" {
		return nil, errors.New("empty bucket or key")
	}
	plan, err := newPlan(w.pool, w.hint)
	if err != nil {
		return nil, w.wrap(err)
	}
	w.plan = plan
	if w.noClobber {
		_, err := c.Stat(ctx, bucket, key)
		switch {
		case err == nil:
			return nil, w.wrap(ErrExists)
		case !isCode(err, "NoSuchKey", http.StatusNotFound):
			return nil, w.wrap(err)
		}
	}
	slab, err := newSlab(w.pool / chunkSize * chunkSize)
	if err != nil {
		return nil, w.wrap(fmt.Errorf("buffer memory: %w", err))
	}
	w.slab = slab
	w.free = make(chan []byte, len(slab)/chunkSize)
	for i := 0; i < len(slab); i += chunkSize {
		w.free <- slab[i : i+chunkSize : i+chunkSize]
	}
	// Requests do not die with ctx: its end halts the upload (nothing new
	// starts, Commit fails), and Abort lets the requests under way finish,
	// for abortGrace, before it cuts them off. A part cut off mid-request
	// may still be written by the server after the upload was aborted.
	w.ctx, w.cancel = context.WithCancel(context.WithoutCancel(ctx))
	w.parent = ctx
	w.unwatch = context.AfterFunc(ctx, func() { w.fail(ctx.Err()) })
	w.stop = make(chan struct{})
	w.aborted = make(chan struct{})
	return w, nil
}

// wrap names the destination in an error.
func (w *Writer) wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", w.name, err)
}

// Name is the destination, s3://bucket/key.
func (w *Writer) Name() string { return w.name }

// Written is the number of bytes written so far.
func (w *Writer) Written() int64 { return w.n }

// Err returns the first error of a write or a part's upload, if any.
func (w *Writer) Err() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.err
}

// fail records the first error and stops every request under way.
func (w *Writer) fail(err error) error {
	w.errMu.Lock()
	if w.err == nil {
		w.err = w.wrap(err)
		w.halt()
	}
	err = w.err
	w.errMu.Unlock()
	return err
}

// halt stops what has not started: new parts, further attempts. A
// request under way is left to end, so that the server is not still
// writing a part when the upload is aborted.
func (w *Writer) halt() { w.once.Do(func() { close(w.stop) }) }

// space returns where the next bytes go, taking a chunk from the pool
// when the current one is full; it waits for a part's upload to give one
// back.
func (w *Writer) space() ([]byte, error) {
	select {
	case <-w.stop:
		if err := w.Err(); err != nil {
			return nil, err
		}
		return nil, w.wrap(errAborted)
	default:
	}
	if w.cur == nil {
		if w.nparts >= MaxParts {
			return nil, w.fail(ErrTooLong)
		}
		w.cur = &part{num: w.nparts + 1, want: w.plan.size(w.nparts)}
	}
	p := w.cur
	off := p.n % chunkSize
	if off == 0 && p.n/chunkSize == int64(len(p.chunks)) {
		select {
		case c := <-w.free:
			p.chunks = append(p.chunks, c)
		case <-w.ctx.Done():
			if err := w.Err(); err != nil {
				return nil, err
			}
			return nil, w.wrap(w.ctx.Err())
		case <-w.stop:
			if err := w.Err(); err != nil {
				return nil, err
			}
			return nil, w.wrap(errAborted)
		}
	}
	c := p.chunks[p.n/chunkSize][off:]
	if room := p.want - p.n; int64(len(c)) > room {
		c = c[:room]
	}
	return c, nil
}

// advance counts k bytes written into the space just returned, and sends
// the part when it is full.
func (w *Writer) advance(b []byte) error {
	p := w.cur
	p.crc = crc32.Update(p.crc, castagnoli, b)
	p.n += int64(len(b))
	w.n += int64(len(b))
	if p.n == p.want {
		return w.send(p)
	}
	return nil
}

// Write copies p into part buffers; a full part is sent while the next
// fills. Errors are sticky.
func (w *Writer) Write(p []byte) (int, error) {
	t := 0
	for len(p) > 0 {
		s, err := w.space()
		if err != nil {
			return t, err
		}
		k := copy(s, p)
		p = p[k:]
		t += k
		if err := w.advance(s[:k]); err != nil {
			return t, err
		}
	}
	return t, nil
}

// ReadFrom reads r straight into part buffers until io.EOF. An error of
// r is returned as it is; the Writer's own errors are also in Err.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	var t int64
	for {
		s, err := w.space()
		if err != nil {
			return t, err
		}
		k, rerr := r.Read(s)
		t += int64(k)
		if k > 0 {
			if err := w.advance(s[:k]); err != nil {
				return t, err
			}
		}
		if rerr == io.EOF {
			return t, nil
		}
		if rerr != nil {
			return t, rerr
		}
	}
}

// send uploads a full part in the background, starting the multipart
// upload first if this is the first part.
func (w *Writer) send(p *part) error {
	w.cur = nil
	w.nparts++
	w.mu.Lock()
	if w.state == stateAborted {
		w.mu.Unlock()
		w.release(p)
		return w.fail(errAborted)
	}
	// Abort waits for this: for the upload being started, and for the part.
	w.wg.Add(1)
	id := w.uploadID
	w.mu.Unlock()
	if id == "" {
		var err error
		if id, err = w.createUpload(); err != nil {
			w.release(p)
			w.wg.Done()
			return w.fail(err)
		}
	}
	go func() {
		defer w.wg.Done()
		err := w.uploadPart(id, p)
		w.release(p)
		if err != nil {
			w.fail(err)
		}
	}()
	return nil
}

var errAborted = errors.New("aborted")

func (w *Writer) release(p *part) {
	for _, c := range p.chunks {
		w.free <- c
	}
	p.chunks = nil
}

// objectHeaders are the headers that describe the object.
func (w *Writer) objectHeaders() http.Header {
	h := http.Header{}
	h.Set("Content-Type", w.contentType)
	for k, v := range w.meta {
		h.Set("X-Amz-Meta-"+k, v)
	}
	return h
}

func (w *Writer) createUpload() (string, error) {
	h := w.objectHeaders()
	h.Set("X-Amz-Checksum-Algorithm", "CRC32C")
	var out struct {
		UploadID string `xml:"UploadId"`
	}
	_, err := w.c.call(w.ctx, &request{op: "start upload", method: http.MethodPost, bucket: w.bucket, key: w.key,
		query: url.Values{"uploads": {""}}, header: h}, &out)
	if err != nil {
		return "", err
	}
	if out.UploadID == "" {
		return "", errors.New("start upload: no upload ID in the answer")
	}
	w.mu.Lock()
	w.uploadID = out.UploadID
	w.mu.Unlock()
	return out.UploadID, nil
}

func crcString(c uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], c)
	return base64.StdEncoding.EncodeToString(b[:])
}

func (w *Writer) uploadPart(id string, p *part) error {
	h := http.Header{}
	sum := crcString(p.crc)
	h.Set("X-Amz-Checksum-Crc32c", sum)
	op := "upload part " + strconv.Itoa(p.num)
	resp, err := w.c.send(w.ctx, &request{op: op, method: http.MethodPut, bucket: w.bucket, key: w.key,
		query: url.Values{"partNumber": {strconv.Itoa(p.num)}, "uploadId": {id}}, header: h,
		body: p.reader, length: p.n, stop: w.stop})
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if got := resp.Header.Get("X-Amz-Checksum-Crc32c"); got != "" && got != sum {
		return fmt.Errorf("%s: %w: server has CRC32C %s, sent %s", op, ErrChecksum, got, sum)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		return fmt.Errorf("%s: no ETag in the answer", op)
	}
	w.mu.Lock()
	for len(w.done) < p.num {
		w.done = append(w.done, completedPart{})
	}
	w.done[p.num-1] = completedPart{PartNumber: p.num, ETag: etag, ChecksumCRC32C: sum, crc: p.crc, size: p.n}
	w.mu.Unlock()
	return nil
}

// Commit finishes the upload: the last part, then CompleteMultipartUpload
// (or one PutObject for a stream shorter than a part), then the check that
// the object's checksum and size are those of the bytes written. On any
// failure the upload is aborted and the key keeps its old object.
func (w *Writer) Commit() error {
	w.mu.Lock()
	switch w.state {
	case stateCommitted:
		w.mu.Unlock()
		return nil
	case stateAborted:
		w.mu.Unlock()
		return w.wrap(errAborted)
	}
	w.state = stateCommitting
	w.mu.Unlock()
	err := w.commit()
	if err != nil {
		err = w.fail(err)
		if aerr := w.abort(); aerr != nil {
			err = fmt.Errorf("%w; and %v", err, aerr)
		}
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == stateAborted {
		// Abort came while the object was being completed: it is there.
		return nil
	}
	w.state = stateCommitted
	w.unwatch()
	w.cancel()
	w.halt() // a Write after Commit fails instead of waiting for a chunk
	w.cur = nil
	dropSlab(w.slab, true)
	w.slab = nil
	return nil
}

func (w *Writer) commit() error {
	if !w.prepared {
		if err := w.prepare(); err != nil {
			return err
		}
	}
	if err := w.parent.Err(); err != nil {
		return err
	}
	if w.nparts == 0 {
		return w.putObject()
	}
	return w.complete()
}

// Prepare does all that Commit does but the one request that makes the
// object visible: it checks the empty-input rule, sends the last part and
// waits until the server has acknowledged every part. Commit is then a
// single request (CompleteMultipartUpload, or the PUT of a stream shorter
// than a part), and Abort still leaves the old object. On failure the
// upload is aborted. An object once completed cannot be taken back: among
// several outputs committed together, complete S3 objects last.
func (w *Writer) Prepare() error {
	w.mu.Lock()
	switch {
	case w.state == stateAborted:
		w.mu.Unlock()
		return w.wrap(errAborted)
	case w.state != stateOpen || w.prepared:
		w.mu.Unlock()
		return nil
	}
	w.mu.Unlock()
	if err := w.prepare(); err != nil {
		err = w.fail(err)
		if aerr := w.abort(); aerr != nil {
			err = fmt.Errorf("%w; and %v", err, aerr)
		}
		return err
	}
	w.prepared = true
	return nil
}

func (w *Writer) prepare() error {
	if err := w.parent.Err(); err != nil {
		return err
	}
	if err := w.Err(); err != nil {
		return err
	}
	if w.n == 0 && !w.allowEmpty {
		info, err := w.c.Stat(w.ctx, w.bucket, w.key)
		if err == nil && info.Size > 0 {
			return ErrEmpty
		}
		if err != nil && !isCode(err, "NoSuchKey", http.StatusNotFound) {
			return err
		}
	}
	if w.nparts == 0 {
		return nil
	}
	if w.cur != nil && w.cur.n > 0 {
		if err := w.send(w.cur); err != nil {
			return err
		}
	}
	w.wg.Wait()
	return w.Err()
}

// putObject sends a stream shorter than one part in one request.
func (w *Writer) putObject() error {
	p := w.cur
	if p == nil {
		p = &part{}
	}
	h := w.objectHeaders()
	sum := crcString(p.crc)
	h.Set("X-Amz-Checksum-Crc32c", sum)
	if w.noClobber {
		h.Set("If-None-Match", "*")
	}
	resp, err := w.c.send(w.ctx, &request{op: "put", method: http.MethodPut, bucket: w.bucket, key: w.key,
		header: h, body: p.reader, length: p.n})
	if err != nil {
		return w.conditional(err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if got := resp.Header.Get("X-Amz-Checksum-Crc32c"); got != "" {
		if got != sum {
			return fmt.Errorf("put: %w: server has CRC32C %s, sent %s", ErrChecksum, got, sum)
		}
		return nil
	}
	return w.verify(sum, resp.Header.Get("ETag"))
}

// conditional turns the answers to If-None-Match into their meaning.
func (w *Writer) conditional(err error) error {
	if !w.noClobber {
		return err
	}
	switch {
	case isCode(err, "PreconditionFailed", http.StatusPreconditionFailed):
		return ErrExists
	case isCode(err, "NotImplemented", http.StatusNotImplemented):
		return ErrNoConditional
	}
	return err
}

type completeUpload struct {
	XMLName xml.Name        `xml:"CompleteMultipartUpload"`
	Parts   []completedPart `xml:"Part"`
}

// composite is S3's checksum of a multipart object: the CRC32C of the
// parts' CRC32Cs, then "-" and the number of parts.
func (w *Writer) composite() string {
	var b []byte
	for _, p := range w.done {
		b = binary.BigEndian.AppendUint32(b, p.crc)
	}
	return crcString(crc32.Checksum(b, castagnoli)) + "-" + strconv.Itoa(len(w.done))
}

func (w *Writer) complete() error {
	w.mu.Lock()
	id := w.uploadID
	parts := append([]completedPart(nil), w.done...)
	w.mu.Unlock()
	var total int64
	for i, p := range parts {
		if p.PartNumber != i+1 {
			return fmt.Errorf("complete upload: part %d missing", i+1)
		}
		total += p.size
	}
	if total != w.n {
		return fmt.Errorf("complete upload: parts hold %d bytes, %d were written", total, w.n)
	}
	body, err := xml.Marshal(completeUpload{Parts: parts})
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/xml")
	if w.noClobber {
		h.Set("If-None-Match", "*")
	}
	var out struct {
		ETag           string `xml:"ETag"`
		ChecksumCRC32C string `xml:"ChecksumCRC32C"`
	}
	want := w.composite()
	_, err = w.c.call(w.ctx, &request{op: "complete upload", method: http.MethodPost, bucket: w.bucket, key: w.key,
		query: url.Values{"uploadId": {id}}, header: h,
		body: func() io.Reader { return strings.NewReader(string(body)) }, length: int64(len(body))}, &out)
	var se *Error
	if errors.As(err, &se) && se.Attempts > 1 && (se.Code == "NoSuchUpload" || se.Status == http.StatusNotFound) {
		// An earlier attempt completed the upload but its answer was
		// lost: the object must now be exactly ours.
		return w.verify(want, "")
	}
	if err != nil {
		return w.conditional(err)
	}
	if out.ChecksumCRC32C != "" {
		if !sameComposite(out.ChecksumCRC32C, want) {
			return fmt.Errorf("complete upload: %w: server has CRC32C %s, sent %s", ErrChecksum, out.ChecksumCRC32C, want)
		}
		return nil
	}
	return w.verify(want, strings.Trim(out.ETag, `"`))
}

// sameComposite compares composite checksums with or without the "-N".
func sameComposite(got, want string) bool {
	g, _, _ := strings.Cut(got, "-")
	v, _, _ := strings.Cut(want, "-")
	return g == v
}

// verify checks the object now at the key: its size, its checksum when
// the server reports one, and its ETag when etag is given.
func (w *Writer) verify(sum, etag string) error {
	info, err := w.c.Stat(w.ctx, w.bucket, w.key)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if info.Size != w.n {
		return fmt.Errorf("check: %w: object has %d bytes, %d were written", ErrChecksum, info.Size, w.n)
	}
	if info.ChecksumCRC != "" && !sameComposite(info.ChecksumCRC, sum) {
		return fmt.Errorf("check: %w: object has CRC32C %s, sent %s", ErrChecksum, info.ChecksumCRC, sum)
	}
	if etag != "" && strings.Trim(info.ETag, `"`) != etag {
		return fmt.Errorf("check: object changed after it was written (ETag %s, written %s)", info.ETag, etag)
	}
	return nil
}

// Abort stops every request under way and aborts the multipart upload:
// the key keeps its old object. It may be called at any time, more than
// once; after a successful Commit it does nothing.
func (w *Writer) Abort() error {
	w.mu.Lock()
	if w.state == stateCommitted {
		w.mu.Unlock()
		return nil
	}
	w.mu.Unlock()
	return w.abort()
}

// abort does the work of Abort once; a second caller waits for the
// first to finish (a signal handler and the chain may both abort, and the
// process must not exit before the upload is gone).
func (w *Writer) abort() error {
	w.mu.Lock()
	if w.state == stateAborted {
		w.mu.Unlock()
		<-w.aborted
		return w.abortErr
	}
	w.state = stateAborted
	w.mu.Unlock()
	defer close(w.aborted)
	defer w.unwatch()
	defer w.cancel()
	w.halt()
	w.waitParts()
	dropSlab(w.slab, false)
	w.mu.Lock()
	id := w.uploadID
	w.mu.Unlock()
	if id == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 30*time.Second)
	defer cancel()
	w.abortErr = w.wrap(w.c.abortFully(ctx, w.bucket, w.key, id))
	return w.abortErr
}

// abortGrace is how long Abort lets the part requests under way end
// before it cuts them off.
const abortGrace = 5 * time.Second

// waitParts waits for the part uploads under way, cutting them off after
// abortGrace.
func (w *Writer) waitParts() {
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	t := time.NewTimer(abortGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		w.cancel()
		<-done
	}
}

// abortFully aborts an upload and checks that it is gone: a part request
// that was cut off may still be running in the server and bring the
// upload back, so S3 asks clients to abort again until the listing no
// longer shows it.
func (c *Client) abortFully(ctx context.Context, bucket, key, id string) error {
	for try := 1; ; try++ {
		err := c.AbortUpload(ctx, bucket, key, id)
		if err != nil && !isCode(err, "NoSuchUpload", http.StatusNotFound) {
			return err
		}
		ups, lerr := c.ListUploads(ctx, bucket, key)
		if lerr != nil {
			return nil // aborted; the listing is only a check
		}
		left := false
		for _, u := range ups {
			left = left || u.UploadID == id
		}
		if !left {
			return nil
		}
		if try == 20 {
			return fmt.Errorf("abort upload: upload %s still listed after %d aborts", id, try)
		}
		t := time.NewTimer(time.Duration(try) * 50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// CheckOptions reports whether opts are valid, without a request.
func CheckOptions(opts ...Option) error {
	w := &Writer{pool: DefaultBufferMemory}
	for _, o := range opts {
		if err := o(w); err != nil {
			return err
		}
	}
	_, err := newPlan(w.pool, w.hint)
	return err
}

// ErrNoRollback is returned by Rollback after Commit: a completed object
// cannot be taken back (S3 keeps no old version to put back).
var ErrNoRollback = errors.New("a completed object cannot be taken back: the new object stays")

// Rollback, before Commit, is Abort. After Commit it returns
// ErrNoRollback: the object was completed and stays. Among several
// outputs committed as one decision, an S3 object should therefore be
// committed last; Prepare still makes its failure before any output is
// published unlikely (every part is then on the server).
func (w *Writer) Rollback() error {
	w.mu.Lock()
	committed := w.state == stateCommitted
	w.mu.Unlock()
	if committed {
		return w.wrap(ErrNoRollback)
	}
	return w.Abort()
}

// Finish does nothing: after Commit nothing of the old object is kept.
func (w *Writer) Finish() error { return nil }
