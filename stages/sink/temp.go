package sink

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// TempSuffix ends every temporary file's name.
const TempSuffix = ".fsink-tmp"

// OldSuffix ends the name under which a Commit that is part of a larger
// decision (Prepare was called) keeps the file it replaced, until Finish or
// Rollback. A file with this name that outlives its writer was left by a
// crash between the renames of one decision (see the package doc).
const OldSuffix = ".fsink-old"

// staleAge is how old a lockable leftover must be before it is removed (a
// temporary file) or reported (an old version).
const staleAge = 10 * time.Second

// privateName is a fresh name in the destination's folder:
// ".NAME.XXXXXXXXXXXX" + suffix.
func (w *Writer) privateName(suffix string) string {
	base := w.base
	if len(base) > 200 {
		base = base[:200]
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	return "." + base + "." + hex.EncodeToString(rnd[:]) + suffix
}

// label names an entry of the destination's folder in messages.
func (w *Writer) label(name string) string {
	if w.dirName == "/" {
		return "/" + name
	}
	return w.dirName + "/" + name
}

func (w *Writer) createTemp() error {
	var lastErr error
	for range 16 {
		name := w.privateName(TempSuffix)
		fd, err := openat(w.dirfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err == unix.EEXIST {
			lastErr = err
			continue
		}
		if err != nil {
			return w.pathErr(fmt.Errorf("cannot create a temporary file in %s: %w", w.dirName, err))
		}
		f := os.NewFile(uintptr(fd), w.label(name))
		if err := lockFile(f, false); err != nil {
			f.Close()
			unix.Unlinkat(w.dirfd, name, 0)
			return w.pathErr(fmt.Errorf("cannot lock the temporary file: %w", err))
		}
		w.f, w.tmpName = f, name
		return nil
	}
	return w.pathErr(fmt.Errorf("cannot create a temporary file in %s: %w", w.dirName, lastErr))
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

// scanLeftovers removes temporary files in the destination's folder whose
// writer is provably gone, and returns the old versions that a dead
// writer's interrupted decision left (never removed: see the package doc).
// Errors are ignored: this is housekeeping.
func (w *Writer) scanLeftovers() (old []string) {
	fd, err := openat(w.dirfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	d := os.NewFile(uintptr(fd), w.dirName)
	defer d.Close()
	for {
		names, err := d.Readdirnames(256)
		for _, name := range names {
			switch {
			case isPrivateName(name, TempSuffix):
				if _, dead := w.deadLeftover(name, false); dead {
					unix.Unlinkat(w.dirfd, name, 0)
				}
			case isPrivateName(name, OldSuffix):
				st, dead := w.deadLeftover(name, true)
				if !dead {
					continue
				}
				if w.isLinkOfOwner(name, &st) {
					// Linked, then killed before its rename: it is the
					// file its owner still is, so nothing is lost.
					unix.Unlinkat(w.dirfd, name, 0)
					continue
				}
				old = append(old, w.label(name))
			}
		}
		if err != nil {
			return old
		}
	}
}

// isPrivateName reports whether name has the form of a temporary file or a
// kept old version: ".NAME." then 12 hex digits then suffix.
func isPrivateName(name, suffix string) bool {
	rest, ok := strings.CutSuffix(name, suffix)
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

// deadLeftover reports whether the private file name in the folder is a
// regular file that no live writer holds (it can be locked) and that has
// been written (a temporary file) or linked (an old version: byCtime) for
// staleAge, so a writer that has just made it and not yet locked it is
// never disturbed.
func (w *Writer) deadLeftover(name string, byCtime bool) (unix.Stat_t, bool) {
	fd, err := openat(w.dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return unix.Stat_t{}, false
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	st, err := fstat(f)
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return st, false
	}
	changed := time.Unix(st.Mtim.Unix())
	if byCtime {
		changed = time.Unix(st.Ctim.Unix())
	}
	if time.Since(changed) < staleAge {
		return st, false
	}
	if lockFile(f, true) != nil {
		return st, false // a live writer holds it
	}
	cur, ok, _ := statAt(w.dirfd, name)
	return st, ok && sameFile(&cur, &st)
}

// isLinkOfOwner reports whether the kept old version name (with stat st)
// is the very file that its owner's name (".OWNER.XXXXXXXXXXXX" + OldSuffix)
// holds now: a link made just before a rename that never happened.
func (w *Writer) isLinkOfOwner(name string, st *unix.Stat_t) bool {
	rest := strings.TrimSuffix(name, OldSuffix)
	owner := rest[1 : len(rest)-13] // drop "." and ".XXXXXXXXXXXX"
	cur, ok, _ := statAt(w.dirfd, owner)
	return ok && sameFile(&cur, st)
}

// Interrupted lists the old versions that Create found beside the
// destination, left by a writer that died between the renames of a
// decision of several outputs (see the package doc). They are kept: only
// the user can tell which version each output should have.
func (w *Writer) Interrupted() []string { return w.stale }

// removeTemp removes the temporary file, if it is still there.
func (w *Writer) removeTemp() error {
	if w.tmpName == "" {
		return nil
	}
	err := unix.Unlinkat(w.dirfd, w.tmpName, 0)
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}
