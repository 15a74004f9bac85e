// Package iox holds the io helpers that several fpipe packages share.
package iox

import "io"

// ReadFrom copies r to w through buf until r returns io.EOF (which it does
// not return) or an error, and returns how many bytes w took: the body of
// the ReadFrom method of a writer that must see every byte that goes by.
//
// It is io.CopyBuffer with neither fast path: w.ReadFrom (usually the very
// method being written, which would call itself) and r.WriteTo (which would
// copy through a buffer of its own, not buf) are hidden, so every byte is
// read into buf and handed to w.Write. A short write with no error is
// io.ErrShortWrite. buf must not be empty.
func ReadFrom(w io.Writer, r io.Reader, buf []byte) (int64, error) {
	return io.CopyBuffer(writerOnly{w}, readerOnly{r}, buf)
}

// writerOnly hides every method of a writer but Write (os/file.go's
// noReadFrom does the same for one method).
type writerOnly struct{ w io.Writer }

func (w writerOnly) Write(p []byte) (int, error) { return w.w.Write(p) }

// readerOnly hides every method of a reader but Read.
type readerOnly struct{ r io.Reader }

func (r readerOnly) Read(p []byte) (int, error) { return r.r.Read(p) }

// CountingReader counts the bytes read through it in N.
type CountingReader struct {
	R io.Reader
	N int64
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}

// CountingWriter counts the bytes written through it in N.
type CountingWriter struct {
	W io.Writer
	N int64
}

func (c *CountingWriter) Write(p []byte) (int, error) {
	n, err := c.W.Write(p)
	c.N += int64(n)
	return n, err
}
