package stages

import "errors"

// Error is an error that names the stage it came from, as in
// "fgz -d: unexpected end of gzip data at offset 1834".
type Error struct {
	Stage string // the stage's name, as the user wrote it
	Err   error  // what went wrong; never nil
}

func (e *Error) Error() string { return e.Stage + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Named wraps err in an *Error for the stage name. It returns err unchanged
// when err is nil, io.EOF, already names a stage, or name is empty.
func Named(name string, err error) error {
	if err == nil || name == "" || isEOF(err) {
		return err
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	return &Error{Stage: name, Err: err}
}

// ErrAborted is the error a stage sees when the chain around it was stopped
// because of an error elsewhere.
var ErrAborted = errors.New("aborted")
