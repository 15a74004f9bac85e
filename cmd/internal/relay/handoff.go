package relay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Reasons why Handoff gives no verdict.
var (
	ErrNoVerdict = errors.New("the stage after ended without saying that it committed")
	ErrShared    = errors.New("another process also writes into the pipe to the stage after")
	ErrUnseen    = errors.New("the stage after cannot be seen (another user's process?)")
)

// Handoff waits for the verdict of the stages after this one: it marks the
// pipe "waiting", lets go of the write end (standard output is then
// /dev/null), keeps the pipe open for reading through /proc/self/fd, and
// waits until the reader marks it "committed" (Handoff returns nil) or
// until no other process holds the pipe without having done so (an error).
// It fails at once, without waiting, when another process holds a write
// end (it could be waiting for this one to exit: `{ fsum -o s; x; } | ...`)
// or when it cannot mark the pipe; it also fails when ctx is done. A
// process it cannot see (another user's, unless this one runs as root)
// counts as gone: Handoff fails closed. A nil Out (standard output is not a
// pipe) returns nil: there is no stage after.
func (o *Out) Handoff(ctx context.Context) error {
	if o == nil {
		return nil
	}
	if o.released {
		return errors.New("relay: Handoff called twice")
	}
	if o.inherit {
		return ErrShared
	}
	if !enabled {
		return fmt.Errorf("%w: memory pages are not 4 KiB", ErrCannotMark)
	}
	st, err := o.f.Stat()
	if err != nil {
		return err
	}
	ino := st.Sys().(*syscall.Stat_t).Ino
	var hold *os.File
	err = control(o.f, func(fd int) error {
		var err error
		hold, err = os.OpenFile("/proc/self/fd/"+strconv.Itoa(fd), os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		if err := setSize(ctx, int(hold.Fd()), sizeWaiting, true); err != nil {
			return fmt.Errorf("%w: %w", ErrCannotMark, explain(err))
		}
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
		return err
	}
	defer hold.Close()
	return waitVerdict(ctx, hold, ino)
}

// waitVerdict polls the mark of the pipe hold reads, and now and then who
// else holds the pipe.
func waitVerdict(ctx context.Context, hold *os.File, ino uint64) error {
	self := os.Getpid()
	target := "pipe:[" + strconv.FormatUint(ino, 10) + "]"
	delay := 200 * time.Microsecond
	var known []int // processes seen holding the pipe at the last scan
	nextScan := time.Now()
	for {
		if Get(hold) == Committed {
			return nil
		}
		if time.Now().After(nextScan) {
			// Rescan everything only when the processes known to hold
			// the pipe no longer do (a reader may have forked).
			still := known[:0]
			for _, pid := range known {
				if h, _ := holds(pid, target); h.read || h.write {
					still = append(still, pid)
				}
			}
			known = still
			if len(known) == 0 {
				hs, unseen := holders(target, self)
				for pid, h := range hs {
					if h.write {
						return ErrShared
					}
					known = append(known, pid)
				}
				if len(known) == 0 {
					if Get(hold) == Committed {
						return nil
					}
					if unseen {
						return ErrUnseen
					}
					return ErrNoVerdict
				}
			}
			nextScan = time.Now().Add(min(10*delay, 100*time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 10*time.Millisecond)
	}
}

type holding struct{ read, write bool }

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
// target. For self, it reports only write ends. unseen says that some
// process's descriptors could not be read.
func holders(target string, self int) (map[int]holding, bool) {
	found := map[int]holding{}
	unseen := false
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return found, true
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		h, err := holds(pid, target)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				unseen = true // another user's process, or kernel thread
			}
			continue
		}
		if pid == self {
			h.read = false
		}
		if h.read || h.write {
			found[pid] = h
		}
	}
	return found, unseen
}
