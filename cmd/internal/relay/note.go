package relay

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A note is the reason a tool failed, left for the reader of its output
// pipe. It only carries text: the mark decides (see the package doc).

// errNoFolder: no private folder for notes.
var errNoFolder = errors.New("no private folder for notes")

// openFolder opens the user's private folder for notes, creating it if
// needed: /run/fpipe for root, else $XDG_RUNTIME_DIR/fpipe when that
// folder is really the user's (a real folder, not a link, owned by the
// user, mode 0700), else $HOME/.cache/fpipe (each step owned by the user
// and writable by no one else). Every step is opened without following
// links and checked on the open descriptor, so the path cannot be swapped
// between the check and the use. The folder itself must be owned by the
// user with no access for others; one that another user created first is
// refused.
func openFolder() (*os.File, error) {
	uid := os.Geteuid()
	var tries [][]string // a base that must exist, then folders to create
	if uid == 0 {
		tries = append(tries, []string{"/run", "fpipe"})
	}
	if x := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(x) {
		tries = append(tries, []string{x, "fpipe"})
	}
	if h := os.Getenv("HOME"); filepath.IsAbs(h) && h != "/" {
		tries = append(tries, []string{h, ".cache", "fpipe"})
	}
	var errs []error
	for _, t := range tries {
		if t[0] == os.Getenv("XDG_RUNTIME_DIR") {
			if err := checkRuntimeDir(t[0], uid); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		d, err := openChain(t[0], t[1:], uid)
		if err == nil {
			return d, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(append([]error{errNoFolder}, errs...)...)
}

// checkRuntimeDir accepts $XDG_RUNTIME_DIR only as the specification
// describes it: a real folder (not a link) owned by the user, mode 0700.
func checkRuntimeDir(dir string, uid int) error {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return &os.PathError{Op: "lstat", Path: dir, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || int(st.Uid) != uid || st.Mode&0o777 != 0o700 {
		return fmt.Errorf("%s: not a folder of user %d with mode 0700", dir, uid)
	}
	return nil
}

// openChain opens base (which must be safe: owned by root or the user and
// writable by no one else, or for $XDG_RUNTIME_DIR the user's 0700 folder),
// then each of names below it, creating them with mode 0700.
func openChain(base string, names []string, uid int) (*os.File, error) {
	fd, err := unix.Open(base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: base, Err: err}
	}
	path := base
	if err := checkDir(fd, path, uid, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	for i, name := range names {
		err := unix.Mkdirat(fd, name, 0o700)
		if err != nil && err != unix.EEXIST {
			unix.Close(fd)
			return nil, &os.PathError{Op: "mkdir", Path: filepath.Join(path, name), Err: err}
		}
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: filepath.Join(path, name), Err: err}
		}
		fd, path = next, filepath.Join(path, name)
		last := i == len(names)-1
		if err := checkDir(fd, path, uid, !last); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// checkDir checks the open folder fd: owned by uid (or, for a parent, by
// root) and, for the notes' own folder, with no access for others; a
// parent must be writable by no one else.
func checkDir(fd int, path string, uid int, parent bool) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: path, Err: err}
	}
	mode := st.Mode & 0o7777
	switch {
	case int(st.Uid) != uid && !(parent && st.Uid == 0):
		return fmt.Errorf("%s: owned by user %d, not %d", path, st.Uid, uid)
	case parent && mode&0o022 != 0 && !(int(st.Uid) == uid && mode&0o077 == 0):
		return fmt.Errorf("%s: writable by others", path)
	case !parent && mode&0o077 != 0:
		return fmt.Errorf("%s: open to others (mode %04o)", path, mode)
	}
	return nil
}

// pipeKey names the pipe f is an end of: "p-DEV-INO-", the prefix of its
// notes, and its birth time where the file system keeps one (a FIFO), so
// that a note on an earlier FIFO with the same inode number is not read.
func pipeKey(f *os.File) (prefix string, birth string, ok bool) {
	var st unix.Stat_t
	var sx unix.Statx_t
	err := control(f, func(fd int) error {
		if err := unix.Fstat(fd, &st); err != nil {
			return err
		}
		if unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_BTIME, &sx) == nil && sx.Mask&unix.STATX_BTIME != 0 {
			birth = fmt.Sprintf("%d.%09d", sx.Btime.Sec, sx.Btime.Nsec)
		}
		return nil
	})
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return "", "", false
	}
	return fmt.Sprintf("p-%d-%d-", st.Dev, st.Ino), birth, true
}

// startTime is this process's start time in clock ticks after boot
// (/proc/self/stat, field 22): with the pid, it names this process among
// all that ever ran since boot.
func startTime() string {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return "0"
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		if f := strings.Fields(s[i+1:]); len(f) > 19 {
			return f[19]
		}
	}
	return "0"
}

// maxNote bounds what a note holds and what Take reads.
const maxNote = 4096

// Leave leaves a note on the pipe that out is the writing end of: why the
// tool fails. It does nothing when out is not a pipe. Call it before the
// process exits.
func Leave(out *os.File, why string) error {
	prefix, birth, ok := pipeKey(out)
	if !ok {
		return nil
	}
	dir, err := openFolder()
	if err != nil {
		return err
	}
	defer dir.Close()
	dfd := int(dir.Fd())
	cleanStale(dir)
	name := prefix + strconv.Itoa(os.Getpid()) + "-" + startTime()
	tmp := ".tmp-" + name
	fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "open", Path: filepath.Join(dir.Name(), tmp), Err: err}
	}
	f := os.NewFile(uintptr(fd), filepath.Join(dir.Name(), tmp))
	text := birth + "\n" + strings.TrimSpace(why)
	if len(text) > maxNote {
		text = text[:maxNote]
	}
	_, werr := f.WriteString(text)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		unix.Unlinkat(dfd, tmp, 0)
		return err
	}
	if err := unix.Renameat(dfd, tmp, dfd, name); err != nil {
		unix.Unlinkat(dfd, tmp, 0)
		return &os.PathError{Op: "rename", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	return nil
}

// Take reads and removes the notes left on the pipe that in is the reading
// end of, and returns the reason of the oldest, and true, if there is one.
func Take(in *os.File) (string, bool) {
	prefix, birth, ok := pipeKey(in)
	if !ok {
		return "", false
	}
	dir, err := openFolder()
	if err != nil {
		return "", false
	}
	defer dir.Close()
	dfd := int(dir.Fd())
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return "", false
	}
	type note struct {
		why  string
		when int64
	}
	var found []note
	for _, name := range names {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		why, when, nb, ok := readNote(dfd, name)
		unix.Unlinkat(dfd, name, 0)
		if ok && nb == birth {
			found = append(found, note{why, when})
		}
	}
	if len(found) == 0 {
		return "", false
	}
	slices.SortFunc(found, func(a, b note) int { return int(a.when - b.when) })
	return found[0].why, true
}

// readNote reads one note: a regular file of this user, without following
// a link.
func readNote(dfd int, name string) (why string, when int64, birth string, ok bool) {
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", 0, "", false
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || int(st.Sys().(*syscall.Stat_t).Uid) != os.Geteuid() {
		return "", 0, "", false
	}
	buf := make([]byte, maxNote)
	n, _ := f.Read(buf)
	birth, why, _ = strings.Cut(string(buf[:n]), "\n")
	return strings.TrimSpace(why), st.ModTime().UnixNano(), birth, true
}

// staleAge is how old an unconsumed note must be before it may go. A note
// only carries text (the mark decides), so losing one is cheap, and a
// program that is not ours reading a failing tool's output leaves one
// behind each time.
const staleAge = time.Minute

// cleanStale removes notes over a minute old whose pipe no process that
// this user can see has open any more (a note nobody read: a program that
// is not ours read the pipe, or the reader failed first).
func cleanStale(dir *os.File) {
	ents, err := os.ReadDir(dir.Name())
	if err != nil {
		return
	}
	var old []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "p-") && !strings.HasPrefix(e.Name(), ".tmp-p-") {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleAge {
			old = append(old, e.Name())
		}
	}
	if len(old) == 0 {
		return
	}
	open := openPipes()
	for _, name := range old {
		parts := strings.Split(strings.TrimPrefix(name, ".tmp-"), "-")
		if len(parts) >= 3 && !open[parts[2]] {
			unix.Unlinkat(int(dir.Fd()), name, 0)
		}
	}
}

// openPipes lists the inodes of pipes open in processes this user can see.
func openPipes() map[string]bool {
	open := map[string]bool{}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && strings.HasPrefix(l, "pipe:[") {
			open[strings.TrimSuffix(strings.TrimPrefix(l, "pipe:["), "]")] = true
		}
	}
	return open
}
