package stagetest

import "io"

// CloseErr is a writer stage that passes every byte on and fails only at
// Close, with Err: a check at the end of the stream (fsum --verify), after
// the stages before it closed.
type CloseErr struct {
	io.Writer
	Err error
}

// Close returns Err.
func (c CloseErr) Close() error { return c.Err }
