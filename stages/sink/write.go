package sink

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fpipe/fpipe/internal/iox"
	"github.com/fpipe/fpipe/internal/zerocopy"
	"github.com/fpipe/fpipe/stages"
)

// Writer writes one destination. Write and ReadFrom are for one goroutine;
// Commit and Abort may be called from any goroutine (a signal handler may
// Abort while a Write is under way: the Write then fails).
type Writer struct {
	path       string // the destination as given
	noSync     bool
	noClobber  bool
	append     bool
	allowEmpty bool
	follow     bool
	mode       fs.FileMode
	modeSet    bool
	uid, gid   int // Owner
	ownerSet   bool
	atime      time.Time // Times
	mtime      time.Time // Times; zero: not set

	dirfd    int        // the folder that holds the destination (after Follow)
	dirName  string     // that folder, for messages
	base     string     // the destination's name in it
	existing *fileState // the destination at Create; nil if there was none
	stale    []string   // old versions left by dead writers (Interrupted)

	f       *os.File // the temporary file, or the destination when appending
	tmpName string   // the temporary file's name in the folder
	n       int64    // bytes written
	buf     []byte

	// Append: the file as Create found it and as our writes left it.
	startLen int64
	created  bool // Append created the file

	// A decision of several outputs (Prepare was called).
	prepared bool
	old      string   // the replaced file's kept name in the folder ("": none)
	oldFile  *os.File // open and locked while kept
	oldSt    fileID   // what the destination was just before the rename
	newSt    fileID   // what we renamed into place

	errMu sync.Mutex
	err   error // sticky write error

	mu       sync.Mutex
	state    int         // open, prepared, committed, finished, aborted
	stopping atomic.Bool // Abort was called: a Commit under way must not rename
}

const (
	stateOpen = iota
	statePrepared
	stateCommitted // renamed; with Prepare, the old version is still kept
	stateFinished
	stateAborted
)

var (
	_ stages.Sink     = (*Writer)(nil)
	_ stages.TwoPhase = (*Writer)(nil)
	_ io.ReaderFrom   = (*Writer)(nil)
)

// Write writes p to the temporary file. Errors are sticky.
func (w *Writer) Write(p []byte) (int, error) {
	if err := w.Err(); err != nil {
		return 0, err
	}
	n, err := w.f.Write(p)
	w.n += int64(n)
	if err != nil {
		return n, w.setErr(err)
	}
	return n, nil
}

// ReadFrom copies r into the temporary file, with splice(2) from a pipe and
// copy_file_range(2) from a regular file where the kernel allows.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if err := w.Err(); err != nil {
		return 0, err
	}
	var total int64
	src, limit := fileOf(r)
	if src != nil && zerocopy.IsPipe(src) {
		n, handled, err := zerocopy.Splice(w.f, src, limit)
		total += n
		w.n += n
		if lr, ok := r.(*io.LimitedReader); ok {
			lr.N -= n
		}
		if handled && !zerocopy.WouldBlock(err) {
			return total, w.sideOf(err)
		}
	} else if src != nil {
		if st, err := src.Stat(); err == nil && st.Mode().IsRegular() {
			n, err := w.f.ReadFrom(r) // copy_file_range
			w.n += n
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) && pe.Path == src.Name() {
					return n, err // reading the source failed
				}
				return n, w.setErr(err)
			}
			return n, nil
		}
	}
	if w.buf == nil {
		w.buf = make([]byte, 256<<10)
	}
	n, err := iox.ReadFrom(w, r, w.buf)
	return total + n, err
}

// sideOf makes a splice error the Writer's own when it names the file.
func (w *Writer) sideOf(err error) error {
	var pe *fs.PathError
	if err != nil && errors.As(err, &pe) && pe.Op == "write" {
		return w.setErr(pe.Err)
	}
	return err
}

// fileOf finds the *os.File behind r (directly or in an *io.LimitedReader)
// and the most that may be read from it (-1: no limit).
func fileOf(r io.Reader) (*os.File, int64) {
	switch v := r.(type) {
	case *os.File:
		return v, -1
	case *io.LimitedReader:
		if f, ok := v.R.(*os.File); ok {
			return f, v.N
		}
	}
	return nil, -1
}

func (w *Writer) setErr(err error) error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	if w.err == nil {
		w.err = &fs.PathError{Op: "write", Path: w.path, Err: unwrap(err)}
	}
	return w.err
}

// Err returns the first write error, if any.
func (w *Writer) Err() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.err
}

// Written is the number of bytes written so far.
func (w *Writer) Written() int64 { return w.n }

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}
