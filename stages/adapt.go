package stages

import (
	"errors"
	"io"
	"sync"

	"github.com/fpipe/fpipe/internal/iox"
)

// Pipe turns a writer stage into a reader: reading the result yields what
// the stage writes when src is copied into it (for example, compressed
// bytes of src). A goroutine does the copy. An error anywhere (src, the
// stage, its Close) reaches the reader in place of io.EOF.
//
// Close stops the goroutine: a write blocked on the reader returns
// ErrAborted to the stage, and Close waits until the goroutine has ended,
// which is once its pending read of src returns. Close does not close src.
func Pipe(src io.Reader, f WriteFilter) io.ReadCloser {
	pr, pw := io.Pipe()
	p := &pipeReader{pr: pr, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		w, err := f(pw)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		_, err = io.Copy(w, src)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err) // nil: the reader sees io.EOF
	}()
	return p
}

type pipeReader struct {
	pr   *io.PipeReader
	done chan struct{}
	once sync.Once
}

func (p *pipeReader) Read(b []byte) (int, error) { return p.pr.Read(b) }

func (p *pipeReader) Close() error {
	p.once.Do(func() { p.pr.CloseWithError(ErrAborted) })
	<-p.done
	return nil
}

// PipeWriter turns a reader stage into a writer: what is written to the
// result is read by the stage, and the stage's output is copied to dst by a
// goroutine. Close ends the input, waits for the goroutine, and returns the
// first error of the stage or of dst. If the stage or dst fails first, the
// next Write returns that error. CloseWithError ends the input with an error
// instead, so a stage that is stopped early never reports success.
func PipeWriter(dst io.Writer, f ReadFilter) (io.WriteCloser, error) {
	pr, pw := io.Pipe()
	r, err := f(pr)
	if err != nil {
		return nil, err
	}
	p := &pipeWriter{pw: pw, stage: r, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		_, err := io.Copy(dst, r)
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			// The stage ended; anything still written is more than it takes.
			err = errTrailing
		}
		p.err = err
		pr.CloseWithError(err)
	}()
	return p, nil
}

// errTrailing is what a writer sees when the reader stage finished before
// its input did.
var errTrailing = errors.New("stage ended before its input")

type pipeWriter struct {
	pw    *io.PipeWriter
	stage io.ReadCloser // what f built; Run commits it if it is a Committer
	buf   []byte        // for ReadFrom
	done  chan struct{}
	err   error // set before done is closed
}

func (p *pipeWriter) Write(b []byte) (int, error) {
	n, err := p.pw.Write(b)
	if err != nil {
		<-p.done
		if p.err != nil && p.err != errTrailing {
			err = p.err
		}
	}
	return n, err
}

// ReadFrom feeds the stage from r in large pieces: io.Copy into an
// io.Pipe would otherwise move 32 KiB at a time.
func (p *pipeWriter) ReadFrom(r io.Reader) (int64, error) {
	if p.buf == nil {
		p.buf = make([]byte, pipeWriterBuffer)
	}
	return iox.ReadFrom(p, r, p.buf)
}

// pipeWriterBuffer is the piece ReadFrom reads.
const pipeWriterBuffer = 256 << 10

func (p *pipeWriter) Close() error { return p.CloseWithError(nil) }

// interrupt ends the stage's input with err and does not wait: a Write
// blocked on the stage returns. Safe while another goroutine writes.
func (p *pipeWriter) interrupt(err error) { p.pw.CloseWithError(err) }

// CloseWithError ends the stage's input with err (nil: a clean end) and
// waits for the stage to finish.
func (p *pipeWriter) CloseWithError(err error) error {
	p.pw.CloseWithError(err)
	<-p.done
	if p.err == errTrailing {
		return nil
	}
	return p.err
}
