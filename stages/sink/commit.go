package sink

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"unsafe"

	"github.com/fpipe/fpipe/stages"
	"golang.org/x/sys/unix"
)

// fileID is one inode.
type fileID struct{ dev, ino uint64 }

func idOf(st *unix.Stat_t) fileID { return fileID{uint64(st.Dev), st.Ino} }

var errAlreadyAborted = errors.New("already aborted")

// Commit makes the written data the destination: mode and owner, fsync,
// rename, fsync of the folder (Prepare, if it was not called, then the
// rename). On any failure before the rename the temporary file is removed
// and the destination is left as it was. A failure to sync the folder after
// the rename is reported as such: the new content is in place, but may not
// survive a crash.
//
// After Prepare, Commit keeps the file it replaces under a private name
// (OldSuffix) until Finish removes it or Rollback puts it back; the caller
// must call one of them.
func (w *Writer) Commit() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch w.state {
	case stateCommitted, stateFinished:
		return nil
	case stateAborted:
		return w.pathErr(errAlreadyAborted)
	case stateOpen:
		if err := w.prepare(); err != nil {
			w.abortLocked()
			return err
		}
	}
	if err := w.publish(); err != nil {
		switch {
		case w.state != stateCommitted:
			w.abortLocked()
		case !w.prepared: // renamed, but the folder's fsync failed: final
			w.state = stateFinished
			w.closeDir()
		}
		return err
	}
	if !w.prepared {
		return w.finish()
	}
	return nil
}

// Prepare does all of Commit that can fail while nothing is visible: it
// checks the stream, sets mode and owner and fsyncs the file. It makes
// Commit keep the replaced file until Finish or Rollback, so that several
// outputs can be one decision (stages.Run). On failure the Writer is
// aborted.
func (w *Writer) Prepare() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch w.state {
	case statePrepared:
		return nil
	case stateOpen:
	case stateAborted:
		return w.pathErr(errAlreadyAborted)
	default:
		return w.pathErr(errors.New("already committed"))
	}
	w.prepared = true
	if err := w.prepare(); err != nil {
		w.abortLocked()
		return err
	}
	return nil
}

func (w *Writer) prepare() error {
	if err := w.Err(); err != nil {
		return err
	}
	if w.n == 0 && w.existing != nil && w.existing.size > 0 && !w.allowEmpty && !w.append {
		return w.pathErr(ErrEmpty)
	}
	if w.append {
		if !w.noSync {
			if err := w.f.Sync(); err != nil {
				return w.pathErr(fmt.Errorf("fsync: %w", unwrap(err)))
			}
		}
		w.state = statePrepared
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
	st, err := fstat(w.f)
	if err != nil {
		return w.pathErr(fmt.Errorf("fstat: %w; destination left unchanged", err))
	}
	w.newSt = idOf(&st)
	if err := w.f.Close(); err != nil {
		return w.pathErr(fmt.Errorf("close: %w; destination left unchanged", unwrap(err)))
	}
	w.state = statePrepared
	return nil
}

// publish renames the prepared file into place (after keeping the old one
// when prepared) and syncs the folder.
func (w *Writer) publish() error {
	if w.append {
		w.state = stateCommitted
		return nil
	}
	if w.stopping.Load() { // Abort was called while we synced (a signal)
		return w.pathErr(errors.New("stopped before the rename; destination left unchanged"))
	}
	if w.prepared {
		if err := w.keepOld(); err != nil {
			return w.pathErr(fmt.Errorf("cannot keep the old version: %w; destination left unchanged", err))
		}
	}
	if err := w.rename(); err != nil {
		w.dropOld()
		return w.pathErr(fmt.Errorf("rename: %w; destination left unchanged", unwrap(err)))
	}
	w.state = stateCommitted // the rename is done
	if err := w.syncDir(); err != nil {
		return w.pathErr(fmt.Errorf("renamed, but syncing the folder failed: %w; the new file may not survive a crash", err))
	}
	return nil
}

// keepOld links the destination, if there is one, to a private name in its
// folder, and holds it open and locked, so that Rollback can put it back
// and a later Create can tell a live writer's kept file from a dead one's.
func (w *Writer) keepOld() error {
	for range 16 {
		name := w.privateName(OldSuffix)
		err := unix.Linkat(w.dirfd, w.base, w.dirfd, name, 0)
		switch err {
		case nil:
		case unix.ENOENT:
			return nil // nothing to keep
		case unix.EEXIST:
			continue
		default:
			return err
		}
		w.old = name
		fd, err := openat(w.dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == nil { // best effort: without the lock, age tells
			w.oldFile = os.NewFile(uintptr(fd), name)
			lockFile(w.oldFile, true)
		}
		return nil
	}
	return unix.EEXIST
}

// dropOld removes the kept old version (the destination keeps its name).
func (w *Writer) dropOld() error {
	if w.old == "" {
		return nil
	}
	err := unix.Unlinkat(w.dirfd, w.old, 0)
	if err == unix.ENOENT {
		err = nil
	}
	if w.oldFile != nil {
		w.oldFile.Close()
		w.oldFile = nil
	}
	if err != nil {
		return fmt.Errorf("cannot remove the old version %s: %w", w.label(w.old), err)
	}
	w.old = ""
	return nil
}

func (w *Writer) rename() error {
	if w.noClobber {
		err := unix.Renameat2(w.dirfd, w.tmpName, w.dirfd, w.base, unix.RENAME_NOREPLACE)
		if err != unix.EINVAL && err != unix.ENOSYS {
			return err
		}
		// The file system cannot refuse atomically: check, then rename.
		if _, ok, _ := statAt(w.dirfd, w.base); ok {
			return unix.EEXIST
		}
	}
	return unix.Renameat(w.dirfd, w.tmpName, w.dirfd, w.base)
}

func (w *Writer) syncDir() error {
	if w.noSync {
		return nil
	}
	for {
		err := unix.Fsync(w.dirfd)
		if err != unix.EINTR {
			return err
		}
	}
}

// Finish makes a Commit after Prepare final: the kept old version is
// removed (without a folder fsync: see the package doc). It does nothing
// without Prepare, before Commit, or twice.
func (w *Writer) Finish() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != stateCommitted {
		return nil
	}
	return w.finish()
}

func (w *Writer) finish() error {
	w.state = stateFinished
	defer w.closeDir()
	if w.append {
		if err := w.f.Close(); err != nil {
			return w.pathErr(unwrap(err))
		}
		return nil
	}
	if w.old == "" {
		return nil
	}
	// The removal is not synced: after a crash that loses it, the old
	// version reappears and the next Create reports it (Interrupted), which
	// costs the user a check; a folder fsync per output would cost every
	// commit a journal flush.
	if err := w.dropOld(); err != nil {
		return w.pathErr(fmt.Errorf("committed, but %w", err))
	}
	return nil
}

// Rollback takes back a Commit made after Prepare: the kept old version is
// renamed back over the destination (or, when there was none, the new file
// is removed), and the folder is synced. Before Commit it is Abort. It
// puts nothing back over a destination that is no longer the file this
// Writer renamed there (someone replaced it meanwhile); that is an error.
func (w *Writer) Rollback() error {
	w.stopping.Store(true)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != stateCommitted {
		return w.abortLocked()
	}
	w.state = stateAborted
	defer w.closeDir()
	if w.append {
		err := w.takeBack()
		w.f.Close()
		return err
	}
	cur, ok, _ := statAt(w.dirfd, w.base)
	if !ok || idOf(&cur) != w.newSt {
		err := w.pathErr(errors.New("replaced by someone else after the commit; not rolled back"))
		if w.old != "" {
			err = w.pathErr(fmt.Errorf("replaced by someone else after the commit; the version before it is kept as %s", w.label(w.old)))
		}
		return err
	}
	var err error
	if w.old != "" {
		err = unix.Renameat(w.dirfd, w.old, w.dirfd, w.base)
		if err == nil {
			w.old = ""
		}
		if w.oldFile != nil {
			w.oldFile.Close()
			w.oldFile = nil
		}
	} else {
		err = unix.Unlinkat(w.dirfd, w.base, 0)
	}
	if err != nil {
		return w.pathErr(fmt.Errorf("cannot roll back the commit: %w", err))
	}
	if err := w.syncDir(); err != nil {
		return w.pathErr(fmt.Errorf("rolled back, but syncing the folder failed: %w", err))
	}
	return nil
}

func (w *Writer) setOwnerAndMode() error {
	perm := w.newMode()
	uid, gid, set := w.uid, w.gid, w.ownerSet
	if e := w.existing; !set && e != nil {
		uid, gid, set = e.uid, e.gid, true
	}
	if set && (uid != os.Geteuid() || gid != os.Getegid()) {
		// Root may give the file any owner; others may at most keep
		// their own uid and pick one of their groups. Failing that,
		// the file keeps the writer's owner, as cp does. Owner asks for
		// no more than that, even of root (a file system without
		// owners, NFS with root_squash), as gzip does.
		if err := w.f.Chown(uid, gid); err != nil {
			if os.Geteuid() == 0 && !w.ownerSet {
				return w.pathErr(fmt.Errorf("chown: %w", unwrap(err)))
			}
			w.f.Chown(-1, gid) // the group alone, when it is one of ours
		}
	}
	if err := w.f.Chmod(perm); err != nil {
		return w.pathErr(fmt.Errorf("chmod: %w", unwrap(err)))
	}
	if !w.mtime.IsZero() {
		ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(w.mtime.UnixNano())}
		if !w.atime.IsZero() {
			ts[0] = unix.NsecToTimespec(w.atime.UnixNano())
		}
		if err := utimes(w.f, ts); err != nil {
			return w.pathErr(fmt.Errorf("setting the times: %w", err))
		}
	}
	return nil
}

// utimes sets an open file's times (futimens).
func utimes(f *os.File, ts []unix.Timespec) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		// utimensat with a NULL path is futimens(2).
		_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, fd, 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
		if e != 0 {
			serr = e
		}
	}); err != nil {
		return err
	}
	return serr
}

// newMode is the mode the committed file gets.
func (w *Writer) newMode() fs.FileMode {
	switch {
	case w.modeSet:
		return w.mode
	case w.existing != nil:
		return w.existing.mode
	}
	return 0o666 &^ umask()
}

// Abort removes the temporary file and leaves the destination as it was
// (appended bytes are taken back when that is safe: see Append). It is safe
// to call more than once, from any goroutine, and after Commit (a no-op:
// a Commit after Prepare is taken back by Rollback only).
func (w *Writer) Abort() error {
	w.stopping.Store(true) // seen by a Commit that holds mu, before its rename
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.abortLocked()
}

func (w *Writer) abortLocked() error {
	switch w.state {
	case stateOpen, statePrepared:
	default:
		return nil
	}
	w.state = stateAborted
	w.setErr(stages.ErrAborted)
	defer w.closeDir()
	if w.append {
		err := w.takeBack()
		w.f.Close()
		return err
	}
	w.f.Close()
	return w.removeTemp()
}

// TempName is the temporary file's path ("" when appending), as the
// destination's folder was named (by the path given, or by a link).
func (w *Writer) TempName() string {
	if w.tmpName == "" {
		return ""
	}
	return w.label(w.tmpName)
}
