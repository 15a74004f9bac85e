package sink

import (
	"fmt"
	"io/fs"
	"time"
)

// Option configures a Writer.
type Option func(*Writer) error

// NoSync skips the fsyncs: the replacement is still atomic, but a crash
// soon after Commit may lose it. Default off.
func NoSync() Option { return func(w *Writer) error { w.noSync = true; return nil } }

// NoClobber refuses a destination that exists, at Create and again at the
// rename (renameat2 RENAME_NOREPLACE). Default off.
func NoClobber() Option { return func(w *Writer) error { w.noClobber = true; return nil } }

// Append appends to the destination in place and fsyncs it at Commit. This
// is not atomic: Abort takes the appended bytes back only while the file is
// exactly as this Writer left it (see ErrNotTakenBack), and a crash midway
// leaves part of the data appended. Default off.
func Append() Option { return func(w *Writer) error { w.append = true; return nil } }

// AllowEmpty lets an empty stream replace a non-empty destination. By
// default Commit refuses it (ErrEmpty) and keeps the destination. Default off.
func AllowEmpty() Option { return func(w *Writer) error { w.allowEmpty = true; return nil } }

// Follow replaces the final target of a destination that is a symbolic link
// instead of refusing it (ErrSymlink). Each link is read relative to the
// folder that holds it, as the kernel does; the temporary file goes in the
// final target's folder. Default off.
func Follow() Option { return func(w *Writer) error { w.follow = true; return nil } }

// Mode sets the permission bits of the file. Default: an existing
// destination's bits, or 0666 minus the umask for a new one.
func Mode(m fs.FileMode) Option {
	return func(w *Writer) error {
		if m&^(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
			return fmt.Errorf("mode %v has bits other than permissions", m)
		}
		w.mode, w.modeSet = m, true
		return nil
	}
}

// Owner gives the file the owner uid and group gid, as the process may:
// root gives any; another user keeps its own uid and gets gid when it is one
// of its groups, and otherwise keeps its own group, without an error (as
// gzip and cp -p do); a chown that fails, even as root (a file system
// without owners), leaves the writer's owner without an error. Default: an
// existing destination's owner (a chown that fails as root is then an
// error), or the process's for a new one.
func Owner(uid, gid int) Option {
	return func(w *Writer) error {
		if uid < 0 || gid < 0 {
			return fmt.Errorf("owner %d:%d is negative", uid, gid)
		}
		w.uid, w.gid, w.ownerSet = uid, gid, true
		return nil
	}
}

// Times sets the file's access and modification times at Commit, after the
// last byte is written and before the fsync (as gzip and cp -p keep a
// file's times). A zero atime leaves the access time as the writes left
// it. Default: the times of the writes.
func Times(atime, mtime time.Time) Option {
	return func(w *Writer) error {
		if mtime.IsZero() {
			return fmt.Errorf("zero modification time")
		}
		w.atime, w.mtime = atime, mtime
		return nil
	}
}

// CheckOptions reports whether opts are valid together, without touching
// the file system: the error Create would return for them.
func CheckOptions(opts ...Option) error {
	var w Writer
	for _, o := range opts {
		if err := o(&w); err != nil {
			return err
		}
	}
	return nil
}
