package sink

import (
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// openAppend opens (or creates) the destination for appending, in its
// folder, never through a link.
func (w *Writer) openAppend() error {
	perm := unixMode(w.newMode())
	flags := unix.O_WRONLY | unix.O_APPEND | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := openat(w.dirfd, w.base, flags|unix.O_CREAT|unix.O_EXCL, perm)
	w.created = err == nil
	if err == unix.EEXIST {
		fd, err = openat(w.dirfd, w.base, flags, 0)
	}
	if err != nil {
		return w.pathErr(err)
	}
	f := os.NewFile(uintptr(fd), w.path)
	st, err := fstat(f)
	if err != nil {
		f.Close()
		return w.pathErr(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		f.Close()
		return w.pathErr(fmt.Errorf("is not a regular file; not appended to"))
	}
	w.f, w.startLen = f, st.Size
	w.newSt = idOf(&st)
	return nil
}

// unixMode turns an fs.FileMode into the bits open(2) takes.
func unixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= unix.S_ISUID
	}
	if m&fs.ModeSetgid != 0 {
		u |= unix.S_ISGID
	}
	if m&fs.ModeSticky != 0 {
		u |= unix.S_ISVTX
	}
	return u
}

// takeBack truncates the file back to its length at Create, but only when
// it is still exactly as our writes left it: the same inode at the same
// name, and as long as its old length plus what we wrote. Otherwise someone
// else wrote or truncated it meanwhile, and truncating would destroy their
// bytes (or, after a truncation, pad the file with zeros): the bytes are
// left and the error says so (ErrNotTakenBack). A check and a truncation
// are two system calls: a write by another process in the microseconds
// between them is the one case this cannot see.
func (w *Writer) takeBack() error {
	if w.n == 0 && !w.created {
		return nil
	}
	st, err := fstat(w.f)
	if err != nil {
		return w.pathErr(fmt.Errorf("%d bytes appended, %w: %v", w.n, ErrNotTakenBack, err))
	}
	cur, ok, _ := statAt(w.dirfd, w.base)
	why := ""
	switch end := w.startLen + w.n; {
	case !ok || !sameFile(&cur, &st):
		why = "the file was renamed or replaced meanwhile"
	case st.Size > end:
		why = "another writer appended to it meanwhile"
	case st.Size < end:
		why = "it was truncated meanwhile"
	}
	if why != "" {
		if w.n == 0 {
			return nil
		}
		return w.pathErr(fmt.Errorf("%d bytes appended, %w: %s", w.n, ErrNotTakenBack, why))
	}
	if w.n > 0 {
		if err := ftruncate(w.f, w.startLen); err != nil {
			return w.pathErr(fmt.Errorf("%d bytes appended, %w: %v", w.n, ErrNotTakenBack, err))
		}
	}
	if w.created && w.startLen == 0 { // we made it: take it back too
		unix.Unlinkat(w.dirfd, w.base, 0)
	}
	return nil
}

func ftruncate(f *os.File, n int64) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var terr error
	if err := rc.Control(func(fd uintptr) { terr = unix.Ftruncate(int(fd), n) }); err != nil {
		return err
	}
	return terr
}
