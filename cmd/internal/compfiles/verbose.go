package compfiles

import (
	"io"
	"time"

	"github.com/fpipe/fpipe/internal/iox"
	"github.com/fpipe/fpipe/stages"
)

// Verbose wraps the stream mode's stage f (no FILE operands) so that, at a
// clean end, it prints -v's line for standard input on w, as the file mode
// prints it per file: "stdin:	 63.5% -- written to stdout, 180.2 MB/s".
// o.Decompress and o.Test say what f does; note is said after the ratio
// when compressing. Only -v pays for the counting.
func Verbose(f stages.Filter, w io.Writer, o Options, note string) stages.Filter {
	o.Verbose = true
	j := &job{o: o, c: &Codec{Note: note}, stderr: w}
	out := stages.Filter{Name: f.Name}
	if f.Writer != nil {
		out.Writer = func(dst io.Writer) (io.WriteCloser, error) {
			cw := &iox.CountingWriter{W: dst}
			inner, err := f.Writer(cw)
			if err != nil {
				return nil, err
			}
			vw := &verboseWriter{inner: inner, out: cw, j: j, start: time.Now()}
			if rf, ok := inner.(io.ReaderFrom); ok {
				return &verboseWriterRF{vw, rf}, nil
			}
			return vw, nil
		}
	}
	if f.Reader != nil {
		out.Reader = func(src io.Reader) (io.ReadCloser, error) {
			cr := &iox.CountingReader{R: src}
			inner, err := f.Reader(cr)
			if err != nil {
				return nil, err
			}
			return &verboseReader{inner: inner, in: cr, j: j, start: time.Now()}, nil
		}
	}
	return out
}

// verboseWriter counts what a compressing stage is given and prints the
// line when it closes cleanly.
type verboseWriter struct {
	inner io.WriteCloser
	out   *iox.CountingWriter
	j     *job
	n     int64
	start time.Time
	err   error
}

func (v *verboseWriter) Write(p []byte) (int, error) {
	n, err := v.inner.Write(p)
	v.n += int64(n)
	if err != nil {
		v.err = err
	}
	return n, err
}

func (v *verboseWriter) Close() error {
	err := v.inner.Close()
	if err == nil && v.err == nil {
		v.j.verbose("stdin", v.n, v.out.N, time.Since(v.start), "")
	}
	return err
}

type verboseWriterRF struct {
	*verboseWriter
	rf io.ReaderFrom
}

func (v *verboseWriterRF) ReadFrom(r io.Reader) (int64, error) {
	n, err := v.rf.ReadFrom(r)
	v.n += n
	if err != nil {
		v.err = err
	}
	return n, err
}

// verboseReader counts what a decompressing stage gives and prints the
// line at its clean end.
type verboseReader struct {
	inner io.ReadCloser
	in    *iox.CountingReader
	j     *job
	n     int64
	start time.Time
	done  bool
}

func (v *verboseReader) Read(p []byte) (int, error) {
	n, err := v.inner.Read(p)
	v.n += int64(n)
	if err == io.EOF && !v.done {
		v.done = true
		v.j.verbose("stdin", v.in.N, v.n, time.Since(v.start), "")
	}
	return n, err
}

func (v *verboseReader) Close() error { return v.inner.Close() }
