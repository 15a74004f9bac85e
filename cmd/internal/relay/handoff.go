package relay

import (
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Reasons why Handoff gives no verdict.
var (
	ErrRefused   = errors.New("the stage after did not commit")
	ErrNoVerdict = errors.New("the stage after ended without saying that it committed")
	ErrNotRead   = errors.New("the stage after ended without reading everything")
	ErrShared    = errors.New("another process also writes into the pipe to the stage after")
	ErrUnseen    = errors.New("no process could be seen reading the pipe to the stage after (it ended, or runs as another user)")
)

// Handoff waits for the verdict of the stages after this one: it marks the
// pipe "waiting", lets go of the write end (standard output is then
// /dev/null), keeps the pipe open for reading through /proc/self/fd, and
// waits until the reader marks it "committed" or "done" (Handoff returns
// nil) or "refused" (ErrRefused), or until no other process holds the
// pipe.
//
// A tool of ours (a command of this module, found through
// /proc/PID/exe) always says; when one was seen and all are gone without a
// mark, it was killed or crashed before it could, and Handoff fails
// (ErrNoVerdict). When only programs that are not ours hold the pipe (not
// counting a shell's child that has not yet run its program, or a
// subshell), Handoff returns nil as soon as they have read all of it: it
// cannot know what they do with it. If they are gone with something left
// unread, it fails (ErrNotRead). When it could see no reader at all (one
// that runs as another user, unless this process runs as root), it fails
// (ErrUnseen).
//
// While another writer holds the pipe (standard error sent to the same
// pipe, or a shell running more commands into it: `{ fsum -o s; x; } |`),
// a reader cannot see the end of its input: Handoff then fails as soon as
// it sees that a tool of ours reads the pipe (ErrShared). It fails when it
// cannot mark the pipe, and when ctx is done. A nil Out (standard output
// is not a pipe) returns nil: there is no stage after.
func (o *Out) Handoff(ctx context.Context) error {
	_, err := o.Await(ctx, true)
	return err
}

// Await is Handoff that also says which mark ended the wait: [Committed]
// or [Done] (nil error) or [Refused] ([ErrRefused]) when the stages after
// said so,
// and [Unmarked] otherwise, with Handoff's error or nil (only programs
// that are not ours read the pipe: no verdict comes from them).
//
// With untilRead false, for a writer that publishes nothing of its own but
// reports the verdict (fpv's last line), Await returns Unmarked and nil at
// once when only programs that are not ours hold the pipe, without
// waiting for them to read it all. While a tool of ours reads the pipe,
// it waits for its verdict or its end: no longer than the stages after
// it. Whether Await let go of the write end is [Out.Released]: if not,
// the pipe still has to be marked clean.
func (o *Out) Await(ctx context.Context, untilRead bool) (State, error) {
	return o.handoff(ctx, !untilRead)
}

// Released reports whether Handoff or Await let go of the write end,
// leaving the pipe marked "waiting" (not "running": a reader of ours does
// not fail). A nil Out was never released.
func (o *Out) Released() bool { return o != nil && o.released }

// handoff is Handoff, or with await Await.
func (o *Out) handoff(ctx context.Context, await bool) (State, error) {
	if o == nil {
		return Unmarked, nil
	}
	if o.released {
		return Unmarked, errors.New("relay: Handoff called twice")
	}
	if o.inherit {
		return Unmarked, ErrShared
	}
	if !enabled {
		return Unmarked, fmt.Errorf("%w: memory pages are not 4 KiB", ErrCannotMark)
	}
	st, err := o.f.Stat()
	if err != nil {
		return Unmarked, err
	}
	ino := st.Sys().(*syscall.Stat_t).Ino
	var hold *os.File
	w := newWatch(ino)
	err = control(o.f, func(fd int) error {
		var err error
		hold, err = os.OpenFile("/proc/self/fd/"+strconv.Itoa(fd), os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		if err := setSize(ctx, fd, sizeWaiting, true); err != nil {
			if err == ErrNoReader {
				return ErrNotRead
			}
			return fmt.Errorf("%w: %w", ErrCannotMark, explain(err))
		}
		if !hasReader(fd) {
			return ErrNotRead // gone before it could see the mark
		}
		// A FIFO's descriptors link to its path, not to "pipe:[ino]":
		// look for what this one links to (readlink, not stat, which
		// could hang on another process's file on a dead NFS server).
		if l, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); err == nil {
			w.target = l
		}
		// Look at the readers while they cannot have seen the end of
		// their input yet, so cannot have exited because of it: a tool
		// of ours that then dies without a verdict is known as ours.
		w.look(holders(w.target, w.self))
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer null.Close()
		if err := unix.Dup3(int(null.Fd()), fd, 0); err != nil {
			return err
		}
		o.released = true
		return nil
	})
	if err != nil {
		if hold != nil {
			hold.Close()
		}
		return Unmarked, err
	}
	defer hold.Close()
	return w.wait(ctx, hold, await)
}

// watch follows the processes that hold the pipe a waiting writer hands
// off.
type watch struct {
	self   int
	target string            // its link in /proc: "pipe:[ino]", or a FIFO's path
	known  []int             // processes seen reading the pipe
	others []int             // other processes seen writing into it
	ours   bool              // one of them was a tool of ours
	seen   bool              // a reader was seen at all
	cache  map[string]bool   // program → ours
	since  map[int]time.Time // when an undecided process was first seen
	shared bool              // another writer holds the pipe
}

func newWatch(ino uint64) *watch {
	return &watch{self: os.Getpid(), target: "pipe:[" + strconv.FormatUint(ino, 10) + "]",
		cache: map[string]bool{}, since: map[int]time.Time{}}
}

// look adds the readers among the holders found, notes whether another
// process writes into the pipe, and tells whether one of the readers known
// is undecided (classified again each time: a forked shell may have become
// a tool of ours by exec since). Only a reader can give a verdict: a tool
// of ours that only writes into the pipe (its standard error sent there,
// as under cron or with 2>&1 | logger) is another writer, not a reader of
// ours.
func (w *watch) look(found map[int]holding) (undecided bool) {
	for pid, h := range found {
		w.shared = w.shared || h.write
		if h.write && !slices.Contains(w.others, pid) {
			w.others = append(w.others, pid)
		}
		if !h.read {
			continue
		}
		if !slices.Contains(w.known, pid) {
			w.known = append(w.known, pid)
			w.seen = true
		}
	}
	for _, pid := range w.known {
		switch classify(pid, w.cache) {
		case kindOurs:
			w.ours = true
		case kindUndecided:
			if t, ok := w.since[pid]; !ok {
				w.since[pid] = time.Now()
				undecided = true
			} else if time.Since(t) < undecidedFor {
				undecided = true
			}
		}
	}
	return undecided
}

// wait polls the mark of the pipe hold reads, and now and then who else
// holds the pipe. With await, it gives up at once, without an error, when
// only programs that are not ours hold it.
func (w *watch) wait(ctx context.Context, hold *os.File, await bool) (State, error) {
	delay := 200 * time.Microsecond
	nextScan := time.Now()
	for {
		switch st := Get(hold); st {
		case Committed, Done:
			return st, nil
		case Refused:
			return Refused, ErrRefused
		}
		if time.Now().After(nextScan) {
			w.shared = ownWriters(w.target, w.self)
			still := w.known[:0]
			for _, pid := range w.known {
				h, _ := holds(pid, w.target)
				w.shared = w.shared || h.write
				if h.read {
					still = append(still, pid)
				}
			}
			w.known = still
			// A writer seen once is watched until it lets go: a shell
			// that runs more commands into the pipe holds it all along.
			writing := w.others[:0]
			for _, pid := range w.others {
				if h, _ := holds(pid, w.target); h.write {
					writing = append(writing, pid)
					w.shared = true
				}
			}
			w.others = writing
			found := map[int]holding{}
			if len(w.known) == 0 {
				// Rescan everything only when the processes known to hold
				// the pipe no longer do (a reader may have forked).
				found = holders(w.target, w.self)
			}
			undecided := w.look(found)
			unread, err := unix.IoctlGetInt(int(hold.Fd()), unix.TIOCINQ) // FIONREAD
			if err != nil {
				return Unmarked, err
			}
			switch {
			case w.shared && w.ours:
				// The reader cannot see the end of its input while
				// another writer holds the pipe: no verdict will come.
				return Unmarked, ErrShared
			case len(w.known) == 0:
				switch st := Get(hold); st {
				case Committed, Done:
					return st, nil
				case Refused:
					return Refused, ErrRefused
				}
				if w.ours {
					return Unmarked, ErrNoVerdict
				}
				if !w.seen {
					return Unmarked, ErrUnseen
				}
				if unread > 0 {
					return Unmarked, ErrNotRead
				}
				return Unmarked, nil
			case !w.ours && !undecided && (unread == 0 || await):
				// Only programs that are not ours hold the pipe, and they
				// read all of it (or, with await, they need not): nothing
				// more can be learnt from them (and one may wait for this
				// process to exit first).
				return Unmarked, nil
			}
			nextScan = time.Now().Add(min(10*delay, 50*time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return Unmarked, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Millisecond)
	}
}

// undecidedFor is how long a process that runs its parent's program (a
// shell's child before exec, or a subshell) may hold the pipe before it
// counts as a program that is not ours: long enough for an exec on a busy
// machine, short enough that a process that holds the pipe until this one
// exits does not wait for ever.
const undecidedFor = 2 * time.Second

type kind int

const (
	kindForeign   kind = iota
	kindOurs           // a program of this module
	kindUndecided      // a fork that has not run its program yet, or a subshell
)

// classify tells what process pid runs. A process running the same
// program as its parent is undecided: a shell's child between fork and
// exec, or a subshell whose commands may be ours.
func classify(pid int, cache map[string]bool) kind {
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return kindUndecided
	}
	o, ok := cache[exe]
	if !ok {
		var known bool
		o, known = isOurs(exe)
		if !known {
			return kindOurs // cannot tell: it must say its verdict
		}
		cache[exe] = o
	}
	if o {
		return kindOurs
	}
	if pexe, err := os.Readlink("/proc/" + strconv.Itoa(parent(pid)) + "/exe"); err == nil && pexe == exe {
		return kindUndecided
	}
	return kindForeign
}

// parent is the parent process of pid (/proc/PID/stat, field 4).
func parent(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		if f := strings.Fields(s[i+1:]); len(f) > 1 {
			p, _ := strconv.Atoi(f[1])
			return p
		}
	}
	return 0
}

// module is the main module of this program: its tools are "ours".
var module = func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Path
	}
	return ""
}()

// isOurs reports whether the program exe is a tool of this module (a main
// package under cmd/, not a test); known is false when it cannot be read.
func isOurs(exe string) (ours, known bool) {
	bi, err := buildinfo.ReadFile(strings.TrimSuffix(exe, " (deleted)"))
	if err != nil {
		var ferr *fs.PathError
		if errors.As(err, &ferr) {
			return false, false
		}
		return false, true // not a Go program
	}
	return module != "" && bi.Main.Path == module && strings.HasPrefix(bi.Path, module+"/cmd/") && !strings.HasSuffix(bi.Path, ".test"), true
}

type holding struct{ read, write bool }

// ownWriters reports whether this process still writes into the pipe
// through another descriptor (standard error sent to the same pipe).
func ownWriters(target string, self int) bool {
	h, _ := holds(self, target)
	return h.write
}

// holds tells how the process pid holds the pipe named target
// ("pipe:[ino]").
func holds(pid int, target string) (holding, error) {
	var h holding
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return h, err
	}
	for _, e := range ents {
		if l, err := os.Readlink(dir + "/" + e.Name()); err != nil || l != target {
			continue
		}
		if fdWrites(pid, e.Name()) {
			h.write = true
		} else {
			h.read = true
		}
	}
	return h, nil
}

// fdWrites reads the access mode of a descriptor from /proc/PID/fdinfo.
func fdWrites(pid int, fd string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/fdinfo/" + fd)
	if err != nil {
		return true // cannot tell: assume the worst
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			return err != nil || flags&3 != unix.O_RDONLY
		}
	}
	return true
}

// holders finds the processes, other than self, that hold the pipe named
// target, among those whose descriptors it can read (all when root).
func holders(target string, self int) map[int]holding {
	found := map[int]holding{}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return found
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		if pid == self {
			continue
		}
		h, err := holds(pid, target)
		if err != nil {
			continue // gone, or another user's
		}
		if h.read || h.write {
			found[pid] = h
		}
	}
	return found
}
