package compfiles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/fpipe/fpipe/internal/unixfs"
	"github.com/fpipe/fpipe/stages/sink"
	"golang.org/x/sys/unix"
)

// input is one FILE operand, open for reading, with the folder that holds
// it.
type input struct {
	name  string // as given
	dir   string // its folder, as given ("." for none)
	base  string // its name in that folder
	dirfd int
	fd    int // f's descriptor, valid while f is open
	f     *os.File
	lst   unix.Stat_t // the entry at base: the link itself when one was followed
	st    unix.Stat_t // the file read, when opened
}

// openInput opens name for reading, relative to its folder, refusing as
// gzip does what is not a regular file: a folder, a FIFO, a device, a
// socket; a symbolic link unless follow; and, with single, a file with
// other hard links (removing one of its names frees nothing and breaks
// the sharing).
func openInput(name string, follow, single bool) (*input, error) {
	dir, base := unixfs.SplitPath(name)
	in := &input{name: name, dir: dir, base: base, dirfd: -1}
	if name == "" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unix.ENOENT}
	}
	if base == "" || base == "." || base == ".." {
		return nil, refuse(name, "is a directory -- ignored")
	}
	fd, err := openat(unix.AT_FDCWD, dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	in.dirfd = fd
	if err := in.open(follow, single); err != nil {
		in.close()
		return nil, err
	}
	return in, nil
}

func (in *input) open(follow, single bool) error {
	if err := unix.Fstatat(in.dirfd, in.base, &in.lst, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &fs.PathError{Op: "open", Path: in.name, Err: err}
	}
	link := in.lst.Mode&unix.S_IFMT == unix.S_IFLNK
	if err := kindRefusal(in.name, in.lst.Mode); err != nil && !link {
		return err
	}
	if link && !follow {
		return refuse(in.name, "is a symbolic link -- ignored (-f follows it)")
	}
	flags := unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK | unix.O_NOCTTY
	if !link {
		flags |= unix.O_NOFOLLOW
	}
	fd, err := openat(in.dirfd, in.base, flags)
	if err != nil {
		return &fs.PathError{Op: "open", Path: in.name, Err: err}
	}
	in.f, in.fd = os.NewFile(uintptr(fd), in.name), fd
	if err := unix.Fstat(fd, &in.st); err != nil {
		return &fs.PathError{Op: "stat", Path: in.name, Err: err}
	}
	if err := kindRefusal(in.name, in.st.Mode); err != nil {
		return err // a FIFO in place of the file, or a link's target
	}
	if !link && !sameInode(&in.st, &in.lst) {
		return refuse(in.name, "replaced while being opened -- ignored")
	}
	if single && !link && in.st.Nlink > 1 {
		n := in.st.Nlink - 1
		s := "s"
		if n == 1 {
			s = ""
		}
		return refuse(in.name, "has %d other link%s -- ignored (-f takes it)", n, s)
	}
	return nil
}

// kindRefusal refuses what is not a regular file.
func kindRefusal(name string, mode uint32) error {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return nil
	case unix.S_IFDIR:
		return refuse(name, "is a directory -- ignored")
	case unix.S_IFLNK:
		return refuse(name, "is a symbolic link -- ignored")
	}
	return refuse(name, "is not a directory or a regular file -- ignored")
}

func (in *input) close() {
	if in.f != nil {
		in.f.Close()
		in.f = nil
	}
	if in.dirfd >= 0 {
		unix.Close(in.dirfd)
		in.dirfd = -1
	}
}

// sibling is the path of name base in the input's folder, as the input's
// path names that folder.
func (in *input) sibling(base string) string {
	switch in.dir {
	case ".":
		if !strings.HasPrefix(in.name, "./") {
			return base
		}
	case "/":
		return "/" + base
	}
	return in.dir + "/" + base
}

// sameFolder checks that the sink writes into the input's very folder (a
// folder renamed or a link changed between the two opens would make them
// two).
func (in *input) sameFolder(w *sink.Writer) error {
	d, err := w.Dir()
	if err != nil {
		return err
	}
	defer d.Close()
	fi, err := d.Stat()
	if err != nil {
		return err
	}
	a, ok := fi.Sys().(*syscall.Stat_t)
	var b unix.Stat_t
	if err := unix.Fstat(in.dirfd, &b); err != nil {
		return err
	}
	if !ok || uint64(a.Dev) != b.Dev || a.Ino != b.Ino {
		return refuse(in.name, "its folder was moved while being opened -- ignored")
	}
	return nil
}

// unchanged checks, at the end of reading, that the file was not written
// to meanwhile: an output of a file that changed as it was read is not
// committed.
func (in *input) unchanged() error {
	var now unix.Stat_t
	if err := unix.Fstat(in.fd, &now); err != nil {
		return &fs.PathError{Op: "stat", Path: in.name, Err: err}
	}
	if now.Size != in.st.Size || now.Mtim != in.st.Mtim {
		return &fs.PathError{Op: "read", Path: in.name, Err: errors.New("file changed as it was read; no output written, file kept")}
	}
	return nil
}

// remove unlinks the input after its output was committed, but only while
// its name still holds what was read (the link, when one was followed):
// a file put there meanwhile is someone else's.
func (in *input) remove() error {
	var now unix.Stat_t
	err := unix.Fstatat(in.dirfd, in.base, &now, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case err == unix.ENOENT:
		return nil // removed by someone else: nothing to do
	case err != nil:
		return &fs.PathError{Op: "remove", Path: in.name, Err: fmt.Errorf("not removed: %w", err)}
	case !sameInode(&now, &in.lst):
		return &fs.PathError{Op: "remove", Path: in.name, Err: errors.New("replaced while being read; the new file is kept")}
	}
	for {
		err = unix.Unlinkat(in.dirfd, in.base, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil && err != unix.ENOENT {
		return &fs.PathError{Op: "remove", Path: in.name, Err: fmt.Errorf("output written, but the original is not removed: %w", err)}
	}
	return nil
}

func sameInode(a, b *unix.Stat_t) bool { return a.Dev == b.Dev && a.Ino == b.Ino }

// statAt is fstatat without following a link; ok is false when name does
// not exist.
func statAt(at int, name string) (st unix.Stat_t, ok bool, err error) {
	err = unix.Fstatat(at, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == unix.ENOENT {
		return st, false, nil
	}
	return st, err == nil, err
}

func openat(at int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(at, name, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
