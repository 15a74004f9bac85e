package sink

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fpipe/fpipe/stages/internal/zerocopy"
	"golang.org/x/sys/unix"
)

// Option configures a Writer.
type Option func(*Writer) error

// NoSync skips both fsyncs: the replacement is still atomic, but a crash
// soon after Commit may lose it. Default off.
func NoSync() Option { return func(w *Writer) error { w.noSync = true; return nil } }

// NoClobber refuses a destination that exists, at Create and again at the
// rename (renameat2 RENAME_NOREPLACE). Default off.
func NoClobber() Option { return func(w *Writer) error { w.noClobber = true; return nil } }

// Append appends to the destination in place and fsyncs it at Commit. This
// is not atomic: Abort truncates the file back to its old length, but a
// crash midway leaves part of the data appended. Default off.
func Append() Option { return func(w *Writer) error { w.append = true; return nil } }

// AllowEmpty lets an empty stream replace a non-empty destination. By
// default Commit refuses it and keeps the destination. Default off.
func AllowEmpty() Option { return func(w *Writer) error { w.allowEmpty = true; return nil } }

// Follow replaces the final target of a destination that is a symbolic link
// (the temporary file goes in the target's folder) instead of refusing it.
// Default off.
func Follow() Option { return func(w *Writer) error { w.follow = true; return nil } }

// Mode sets the permission bits of the file. Default: an existing
// destination's bits, or 0666 minus the umask for a new one.
func Mode(m fs.FileMode) Option {
	return func(w *Writer) error {
		if m&^(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
			return fmt.Errorf("sink: mode %v has bits other than permissions", m)
		}
		w.mode, w.modeSet = m, true
		return nil
	}
}

// Writer writes one destination. Write and ReadFrom are for one goroutine;
// Commit and Abort may be called from any goroutine (a signal handler may
// Abort while a Write is under way: the Write then fails).
type Writer struct {
	path       string // the destination as given
	target     string // the file replaced: path, or its link target with Follow
	noSync     bool
	noClobber  bool
	append     bool
	allowEmpty bool
	follow     bool
	mode       fs.FileMode
	modeSet    bool

	f        *os.File    // the temporary file, or the destination when appending
	tmpName  string      // path of the temporary file
	existing fs.FileInfo // the destination at Create; nil if there was none
	startLen int64       // its length, for Append's Abort
	created  bool        // Append created the file
	n        int64       // bytes written
	buf      []byte

	errMu sync.Mutex
	err   error // sticky write error

	mu       sync.Mutex
	state    int         // open, committed, aborted
	stopping atomic.Bool // Abort was called: a Commit under way must not rename
}

const (
	stateOpen = iota
	stateCommitted
	stateAborted
)

var (
	_ io.Writer     = (*Writer)(nil)
	_ io.ReaderFrom = (*Writer)(nil)
)

// TempSuffix ends every temporary file's name.
const TempSuffix = ".fsink-tmp"

// staleAge is how old a lockable leftover must be before it is removed.
const staleAge = 10 * time.Second

// Create prepares to replace the file at path: it checks the destination,
// removes provably dead leftovers beside it, and opens the temporary file.
// Nothing is visible at path until Commit.
func Create(path string, opts ...Option) (*Writer, error) {
	w := &Writer{path: path, target: path}
	for _, o := range opts {
		if err := o(w); err != nil {
			return nil, err
		}
	}
	if path == "" {
		return nil, errors.New("sink: empty destination path")
	}
	if err := w.checkDestination(); err != nil {
		return nil, err
	}
	if w.append {
		return w, w.openAppend()
	}
	dir := filepath.Dir(w.target)
	removeLeftovers(dir)
	if err := w.createTemp(dir); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) pathErr(err error) error {
	return &fs.PathError{Op: "sink", Path: w.path, Err: err}
}

// checkDestination refuses what would surprise and records the existing file.
func (w *Writer) checkDestination() error {
	fi, err := os.Lstat(w.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return w.pathErr(unwrap(err))
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if !w.follow {
			return w.pathErr(errors.New("is a symbolic link (use --follow to replace its target)"))
		}
		t, err := resolve(w.path)
		if err != nil {
			return w.pathErr(err)
		}
		w.target = t
		fi, err = os.Lstat(t)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return w.pathErr(unwrap(err))
		}
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		return w.pathErr(syscall.EISDIR)
	case m&fs.ModeNamedPipe != 0:
		return w.pathErr(errors.New("is a FIFO; not replaced"))
	case m&fs.ModeSocket != 0:
		return w.pathErr(errors.New("is a socket; not replaced"))
	case m&fs.ModeDevice != 0:
		return w.pathErr(errors.New("is a device; not replaced"))
	case !m.IsRegular():
		return w.pathErr(errors.New("is not a regular file; not replaced"))
	}
	if w.noClobber && !w.append {
		return w.pathErr(syscall.EEXIST)
	}
	w.existing = fi
	return nil
}

// resolve follows a chain of symbolic links to the final name, which may
// not exist yet.
func resolve(p string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", unwrap(err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		l, err := os.Readlink(p)
		if err != nil {
			return "", unwrap(err)
		}
		if !filepath.IsAbs(l) {
			l = filepath.Join(filepath.Dir(p), l)
		}
		p = l
	}
	return "", syscall.ELOOP
}

func (w *Writer) openAppend() error {
	perm := w.newMode()
	f, err := os.OpenFile(w.target, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL|syscall.O_CLOEXEC, perm)
	w.created = err == nil
	if errors.Is(err, fs.ErrExist) {
		f, err = os.OpenFile(w.target, os.O_WRONLY|os.O_APPEND|syscall.O_CLOEXEC, 0)
	}
	if err != nil {
		return w.pathErr(unwrap(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return w.pathErr(unwrap(err))
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return w.pathErr(errors.New("is not a regular file; not appended to"))
	}
	w.f, w.startLen = f, st.Size()
	return nil
}

func (w *Writer) createTemp(dir string) error {
	base := filepath.Base(w.target)
	if len(base) > 200 {
		base = base[:200]
	}
	var lastErr error
	for range 16 {
		var rnd [6]byte
		rand.Read(rnd[:])
		name := filepath.Join(dir, "."+base+"."+hex.EncodeToString(rnd[:])+TempSuffix)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
		if errors.Is(err, fs.ErrExist) {
			lastErr = err
			continue
		}
		if err != nil {
			return w.pathErr(fmt.Errorf("cannot create a temporary file in %s: %w", dir, unwrap(err)))
		}
		if err := lockFile(f, false); err != nil {
			f.Close()
			os.Remove(name)
			return w.pathErr(fmt.Errorf("cannot lock the temporary file: %w", err))
		}
		w.f, w.tmpName = f, name
		return nil
	}
	return w.pathErr(fmt.Errorf("cannot create a temporary file in %s: %w", dir, unwrap(lastErr)))
}

// lockFile takes an exclusive flock; with nonBlocking it fails at once if
// another process holds it.
func lockFile(f *os.File, nonBlocking bool) error {
	how := unix.LOCK_EX
	if nonBlocking {
		how |= unix.LOCK_NB
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		for {
			lerr = unix.Flock(int(fd), how)
			if lerr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return lerr
}

// removeLeftovers removes temporary files in dir whose writer is provably
// gone (see the package doc). Errors are ignored: this is housekeeping.
func removeLeftovers(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	defer d.Close()
	for {
		names, err := d.Readdirnames(256)
		for _, name := range names {
			if isTempName(name) {
				removeIfDead(filepath.Join(dir, name))
			}
		}
		if err != nil {
			return
		}
	}
}

// isTempName reports whether name has the form of a temporary file:
// ".NAME." then 12 hex digits then TempSuffix.
func isTempName(name string) bool {
	rest, ok := strings.CutSuffix(name, TempSuffix)
	if !ok || !strings.HasPrefix(rest, ".") {
		return false
	}
	i := strings.LastIndexByte(rest, '.')
	if i <= 0 || len(rest)-i-1 != 12 {
		return false
	}
	_, err := hex.DecodeString(rest[i+1:])
	return err == nil
}

func removeIfDead(name string) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || time.Since(st.ModTime()) < staleAge {
		return
	}
	if lockFile(f, true) != nil {
		return // a live writer holds it
	}
	if cur, err := os.Lstat(name); err == nil && os.SameFile(cur, st) {
		os.Remove(name)
	}
}

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
		zerocopy.GrowPipe(src)
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
	for {
		nr, rerr := r.Read(w.buf)
		if nr > 0 {
			nw, werr := w.Write(w.buf[:nr])
			total += int64(nw)
			if werr != nil {
				return total, werr
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
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

// ErrEmpty is why Commit refuses an empty stream over a non-empty file.
var ErrEmpty = errors.New("empty input would replace a non-empty file (use --allow-empty to allow it)")

// Commit makes the written data the destination: mode and owner, fsync,
// rename, fsync of the folder. On any failure before the rename the
// temporary file is removed and the destination is left as it was. A
// failure to sync the folder after the rename is reported as such: the new
// content is in place, but may not survive a crash.
func (w *Writer) Commit() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch w.state {
	case stateCommitted:
		return nil
	case stateAborted:
		return w.pathErr(errors.New("already aborted"))
	}
	if err := w.commit(); err != nil {
		w.abortLocked()
		return err
	}
	return nil
}

func (w *Writer) commit() error {
	if err := w.Err(); err != nil {
		return err
	}
	if w.n == 0 && w.existing != nil && w.existing.Size() > 0 && !w.allowEmpty && !w.append {
		return w.pathErr(ErrEmpty)
	}
	if w.append {
		if !w.noSync {
			if err := w.f.Sync(); err != nil {
				return w.pathErr(fmt.Errorf("fsync: %w", unwrap(err)))
			}
		}
		if err := w.f.Close(); err != nil {
			return w.pathErr(unwrap(err))
		}
		w.state = stateCommitted
		return nil
	}
	if err := w.setOwnerAndMode(); err != nil {
		return err
	}
	if !w.noSync {
		if err := w.f.Sync(); err != nil {
			return w.pathErr(fmt.Errorf("fsync: %w; destination left unchanged", unwrap(err)))
		}
	}
	if err := w.f.Close(); err != nil {
		return w.pathErr(fmt.Errorf("close: %w; destination left unchanged", unwrap(err)))
	}
	if w.stopping.Load() { // Abort was called while we synced (a signal)
		return w.pathErr(errors.New("stopped before the rename; destination left unchanged"))
	}
	if err := w.rename(); err != nil {
		return w.pathErr(fmt.Errorf("rename: %w; destination left unchanged", unwrap(err)))
	}
	w.state = stateCommitted // the rename is done: nothing to undo from here
	if !w.noSync {
		if err := syncDir(filepath.Dir(w.target)); err != nil {
			return w.pathErr(fmt.Errorf("renamed, but syncing the folder failed: %w; the new file may not survive a crash", unwrap(err)))
		}
	}
	return nil
}

func (w *Writer) rename() error {
	if w.noClobber {
		err := unix.Renameat2(unix.AT_FDCWD, w.tmpName, unix.AT_FDCWD, w.target, unix.RENAME_NOREPLACE)
		if err != unix.EINVAL && err != unix.ENOSYS {
			return err
		}
		// The file system cannot refuse atomically: check, then rename.
		if _, err := os.Lstat(w.target); err == nil {
			return syscall.EEXIST
		}
	}
	return os.Rename(w.tmpName, w.target)
}

func (w *Writer) setOwnerAndMode() error {
	perm := w.newMode()
	if w.existing != nil {
		if st, ok := w.existing.Sys().(*syscall.Stat_t); ok && (int(st.Uid) != os.Geteuid() || int(st.Gid) != os.Getegid()) {
			// Root may give the file any owner; others may at most keep
			// their own uid and pick one of their groups. Failing that,
			// the file keeps the writer's owner, as cp does.
			if err := w.f.Chown(int(st.Uid), int(st.Gid)); err != nil && os.Geteuid() == 0 {
				return w.pathErr(fmt.Errorf("chown: %w", unwrap(err)))
			}
		}
	}
	if err := w.f.Chmod(perm); err != nil {
		return w.pathErr(fmt.Errorf("chmod: %w", unwrap(err)))
	}
	return nil
}

// newMode is the mode the committed file gets.
func (w *Writer) newMode() fs.FileMode {
	switch {
	case w.modeSet:
		return w.mode
	case w.existing != nil:
		return w.existing.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	}
	return 0o666 &^ umask()
}

// Abort removes the temporary file and leaves the destination as it was (an
// appended file is truncated back to its old length). It is safe to call
// more than once, from any goroutine, and after Commit (a no-op).
func (w *Writer) Abort() error {
	w.stopping.Store(true) // seen by a Commit that holds mu, before its rename
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.abortLocked()
}

func (w *Writer) abortLocked() error {
	if w.state != stateOpen {
		return nil
	}
	w.state = stateAborted
	w.setErr(errors.New("aborted"))
	if w.append {
		err := w.f.Truncate(w.startLen)
		if err == nil || errors.Is(err, os.ErrClosed) {
			err = nil
		}
		if w.created { // we made it: take it back if it is still ours and empty
			if st, serr := w.f.Stat(); serr == nil {
				if cur, lerr := os.Lstat(w.target); lerr == nil && os.SameFile(st, cur) && cur.Size() == 0 {
					os.Remove(w.target)
				}
			}
		}
		w.f.Close()
		return err
	}
	w.f.Close()
	if err := os.Remove(w.tmpName); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// TempName is the temporary file's path ("" when appending).
func (w *Writer) TempName() string { return w.tmpName }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

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

// umask reads the process umask from /proc without changing it (changing
// it to read it would race with other goroutines creating files). It is
// read at each call, so a long-running program may change its umask.
func umask() fs.FileMode {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0o022
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return fs.FileMode(m)
			}
		}
	}
	return 0o022
}
