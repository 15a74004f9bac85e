package sink

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/fpipe/fpipe/internal/unixfs"
	"golang.org/x/sys/unix"
)

// maxLinks is how many symbolic links Follow resolves before it gives up
// with ELOOP, as the kernel does (40).
const maxLinks = 40

// Create prepares to replace the file at path: it opens the folder that
// holds the destination (as the kernel resolves it), checks the
// destination, removes provably dead leftovers beside it, and opens the
// temporary file. Nothing is visible at path until Commit.
//
// Everything afterwards (the temporary file, the checks, the rename, the
// folder's fsync) happens relative to that open folder, so a symbolic link
// or ".." in path, or a folder renamed meanwhile, never makes two steps
// happen in two different folders.
func Create(path string, opts ...Option) (*Writer, error) {
	w := &Writer{path: path, dirfd: -1}
	if err := CheckOptions(opts...); err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(w)
	}
	if path == "" {
		return nil, errors.New("empty destination path")
	}
	if err := w.openDestination(); err != nil {
		w.closeDir()
		return nil, err
	}
	if w.append {
		if err := w.openAppend(); err != nil {
			w.closeDir()
			return nil, err
		}
		return w, nil
	}
	w.stale = w.scanLeftovers()
	if err := w.createTemp(); err != nil {
		w.closeDir()
		return nil, err
	}
	return w, nil
}

func (w *Writer) pathErr(err error) error {
	return &fs.PathError{Op: "sink", Path: w.path, Err: err}
}

// openDestination opens the destination's folder and, with Follow, follows
// symbolic links one at a time, each read in the folder that holds it.
// It records what the destination is now.
func (w *Writer) openDestination() error {
	dir, base := unixfs.SplitPath(w.path)
	if err := w.openDir(unix.AT_FDCWD, dir, base); err != nil {
		return err
	}
	for links := 0; ; links++ {
		var st unix.Stat_t
		err := unix.Fstatat(w.dirfd, w.base, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.ENOENT {
			return nil
		}
		if err != nil {
			return w.pathErr(err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			return w.checkExisting(&st)
		}
		if !w.follow {
			return w.pathErr(ErrSymlink)
		}
		if links == maxLinks {
			return w.pathErr(syscall.ELOOP)
		}
		target, err := readlinkat(w.dirfd, w.base)
		if err != nil {
			return w.pathErr(err)
		}
		if target == "" {
			return w.pathErr(syscall.ENOENT)
		}
		tdir, tbase := unixfs.SplitPath(target)
		if !strings.Contains(target, "/") {
			tdir = "." // the link's own folder
		}
		old := w.dirfd
		err = w.openDir(old, tdir, tbase)
		unix.Close(old)
		if err != nil {
			return err
		}
	}
}

// openDir opens dir relative to the folder at (AT_FDCWD: the working
// folder) as the destination's folder, for the name base in it.
func (w *Writer) openDir(at int, dir, base string) error {
	if base == "" || base == "." || base == ".." {
		return w.pathErr(syscall.EISDIR)
	}
	fd, err := openat(at, dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if w.append {
			return w.pathErr(err)
		}
		return w.pathErr(fmt.Errorf("cannot create a temporary file in %s: %w", w.dirLabel(at, dir), err))
	}
	w.dirfd, w.base = fd, base
	w.dirName = w.dirLabel(at, dir)
	return nil
}

// dirLabel names a folder in messages: as the user wrote it for the
// destination's own folder, and as the link says for a link's target.
func (w *Writer) dirLabel(at int, dir string) string {
	if at == unix.AT_FDCWD || strings.HasPrefix(dir, "/") {
		return dir
	}
	if dir == "." {
		return w.dirName
	}
	return w.dirName + "/" + dir
}

// checkExisting refuses what would surprise and records the existing file.
func (w *Writer) checkExisting(st *unix.Stat_t) error {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		return w.pathErr(syscall.EISDIR)
	case unix.S_IFIFO:
		return w.pathErr(errors.New("is a FIFO; not replaced"))
	case unix.S_IFSOCK:
		return w.pathErr(errors.New("is a socket; not replaced"))
	case unix.S_IFCHR, unix.S_IFBLK:
		return w.pathErr(errors.New("is a device; not replaced"))
	default:
		return w.pathErr(errors.New("is not a regular file; not replaced"))
	}
	if w.noClobber && !w.append {
		return w.pathErr(syscall.EEXIST)
	}
	w.existing = &fileState{
		dev: uint64(st.Dev), ino: st.Ino, size: st.Size,
		uid: int(st.Uid), gid: int(st.Gid), mode: unixfs.Perm(st.Mode),
	}
	return nil
}

// fileState is what Create saw of an existing destination.
type fileState struct {
	dev, ino uint64
	size     int64
	uid, gid int
	mode     fs.FileMode // permission bits, setuid, setgid, sticky
}

func (w *Writer) closeDir() {
	if w.dirfd >= 0 {
		unix.Close(w.dirfd)
		w.dirfd = -1
	}
}

// The system calls below retry on EINTR, which Go's runtime signals (and
// our own signal handling) can cause.

func openat(at int, name string, flags int, perm uint32) (int, error) {
	for {
		fd, err := unix.Openat(at, name, flags, perm)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

func readlinkat(at int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(at, name, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
		if size >= 1<<16 {
			return "", syscall.ENAMETOOLONG
		}
	}
}

// statAt is fstatat without following a link; ok is false when name does
// not exist.
func statAt(at int, name string) (st unix.Stat_t, ok bool, err error) {
	err = unix.Fstatat(at, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == unix.ENOENT {
		return st, false, nil
	}
	return st, err == nil, err
}

// sameFile reports whether a and b are one inode.
func sameFile(a, b *unix.Stat_t) bool { return a.Dev == b.Dev && a.Ino == b.Ino }

// fstat stats an open file.
func fstat(f *os.File) (unix.Stat_t, error) {
	var st unix.Stat_t
	rc, err := f.SyscallConn()
	if err != nil {
		return st, err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Fstat(int(fd), &st) }); err != nil {
		return st, err
	}
	return st, serr
}

// Dir opens anew the folder that holds the destination, as Create resolved
// it (with Follow, the final target's folder), for the caller to own and
// close: to work in the folder the commit renames into, never in one that
// a path names later. It fails once the Writer has committed or aborted.
func (w *Writer) Dir() (*os.File, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dirfd < 0 {
		return nil, w.pathErr(errors.New("folder already closed"))
	}
	fd, err := openat(w.dirfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, w.pathErr(err)
	}
	return os.NewFile(uintptr(fd), w.dirName), nil
}

// Base is the destination's name in the folder Dir opens.
func (w *Writer) Base() string { return w.base }
