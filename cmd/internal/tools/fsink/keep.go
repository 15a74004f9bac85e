package fsink

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/dated"
	"github.com/fpipe/fpipe/stages/sink"
	"golang.org/x/sys/unix"
)

// keepUsage checks that --keep n can apply to the template path.
func keepUsage(n int, t *dated.Template, dest string, follow, appendTo bool) error {
	switch {
	case n < 1:
		return cli.Usagef("--keep %d: keep at least 1 (the file just written)", n)
	case dest == "-":
		return cli.Usagef("--keep needs a file PATH, not -")
	case follow || appendTo:
		return cli.Usagef("--keep cannot go with --follow or --append")
	case t.FolderDated():
		return cli.Usagef("--keep: %s: the folder changes with the date; put {date} or {time} in the file name only", t)
	case !t.Base().Dated():
		return cli.Usagef("--keep: %s: the file name needs {date} or {time} (or {utcdate}, {utctime}) to tell the runs apart", t)
	}
	return nil
}

// newPruned returns w with retention of n files of the template t.
func newPruned(w *sink.Writer, t *dated.Template, n int, env *cli.Env) (*pruned, error) {
	dir, err := w.Dir()
	if err != nil {
		return nil, err
	}
	h := ""
	if t.Base().HasHost() {
		if h, err = dated.Host(); err != nil {
			dir.Close()
			return nil, err
		}
	}
	k := &keeper{dir: dir, base: w.Base(), n: n, match: t.Base().Matcher(h), stderr: env.Stderr, tool: env.Tool}
	return &pruned{Writer: w, prune: k.run, close: k.close}, nil
}

// pruned is the sink with retention: once its commit is final (Commit
// without Prepare, or Finish after Commit), the oldest files of the
// template beyond the newest n are removed from the folder the sink
// committed into. Nothing is removed when the run fails, and the file just
// committed always counts among the n.
type pruned struct {
	*sink.Writer
	prepared  bool
	committed bool
	prune     func()
	close     func() error // releases the folder after the run
}

// Unwrap returns the sink itself: pruned passes every byte on unchanged.
func (p *pruned) Unwrap() io.Writer { return p.Writer }

func (p *pruned) Prepare() error {
	p.prepared = true
	return p.Writer.Prepare()
}

func (p *pruned) Commit() error {
	if err := p.Writer.Commit(); err != nil {
		return err
	}
	p.committed = true
	if !p.prepared {
		p.prune()
	}
	return nil
}

func (p *pruned) Finish() error {
	if err := p.Writer.Finish(); err != nil {
		return err
	}
	if p.prepared && p.committed {
		p.prune()
	}
	return nil
}

// keeper removes old files of one template in one open folder.
type keeper struct {
	dir    *os.File // the folder the sink resolved, opened anew
	base   string   // the file just committed, always kept
	n      int
	match  *dated.Matcher
	stderr io.Writer
	tool   string
	done   bool
}

// run removes the old files; problems are warnings (the new file is
// committed whatever happens here), one line each.
func (k *keeper) run() {
	if k.done {
		return
	}
	k.done = true
	defer k.dir.Close()
	old, err := k.old()
	if err != nil {
		k.warn(fmt.Errorf("%s: %w", k.dir.Name(), unwrapPath(err)), "cannot list it; nothing removed (--keep)")
		return
	}
	for _, name := range old {
		if err := k.remove(name); err != nil {
			k.warn(fmt.Errorf("%s: %w", k.label(name), err), "not removed (--keep)")
		}
	}
}

// close releases the folder of a run that did not get to run (a failure).
func (k *keeper) close() error {
	if k.done {
		return nil
	}
	k.done = true
	return k.dir.Close()
}

func (k *keeper) warn(err error, what string) {
	fmt.Fprintf(k.stderr, "%s: warning: %s; %s\n", k.tool, cli.Message(err), what)
}

type entry struct{ key, name string }

// old lists the names to remove: the files of the template, other than
// the one just committed, that are regular files of this user dated
// before it, newest first by the dates in their names, past the first
// n-1. Files dated after it (a clock set back, or planted) are neither
// counted nor removed, and neither are other users' files: nobody can
// push this user's backups out by adding names.
func (k *keeper) old() ([]string, error) {
	newest, ok := k.match.Key(k.base)
	if !ok {
		return nil, fmt.Errorf("%s: not a name of the template", k.base)
	}
	uid := uint32(os.Geteuid())
	var all []entry
	for {
		names, err := k.dir.Readdirnames(1024)
		for _, name := range names {
			if name == k.base {
				continue
			}
			key, ok := k.match.Key(name)
			if !ok || key > newest {
				continue
			}
			var st unix.Stat_t
			if unix.Fstatat(int(k.dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil ||
				st.Mode&unix.S_IFMT != unix.S_IFREG || st.Uid != uid {
				continue
			}
			all = append(all, entry{key, name})
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(all, func(a, b entry) int {
		if c := strings.Compare(b.key, a.key); c != 0 {
			return c
		}
		return strings.Compare(b.name, a.name)
	})
	var old []string
	for i, e := range all {
		if i >= k.n-1 {
			old = append(old, e.name)
		}
	}
	return old, nil
}

// remove unlinks name in the folder if it is a regular file; a link, a
// folder or anything else of that name is not one of ours and stays.
func (k *keeper) remove(name string) error {
	fd := int(k.dir.Fd())
	var st unix.Stat_t
	if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return nil // removed meanwhile
		}
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil
	}
	// Between the stat and the unlink the name may have become a link or
	// a folder: unlinkat without AT_REMOVEDIR removes a link itself, not
	// its target, and fails on a folder.
	for {
		err := unix.Unlinkat(fd, name, 0)
		switch err {
		case unix.EINTR:
			continue
		case unix.ENOENT:
			return nil
		}
		return err
	}
}

func (k *keeper) label(name string) string {
	d := k.dir.Name()
	switch {
	case d == ".":
		return name
	case strings.HasSuffix(d, "/"):
		return d + name
	}
	return d + "/" + name
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
