// Package relay makes a failure travel down a shell pipe of fpipe's tools.
//
// In `fread db | fgz | fsink b`, when fread fails, fgz only sees the end of
// its input, exactly as if fread had succeeded. So before a failing tool
// exits, it leaves a note saying why, named after the identity of its
// standard output pipe (the device and inode that fstat reports, which both
// ends of a pipe share), in a private folder of the user. The tool after
// it, on reaching the end of its input, looks for a note named after its
// standard input pipe; if one is there, it removes it and fails in turn, and
// so on down to fsink, which then aborts. The note exists before the reader
// can see the end of its input (a pipe reports end of input only once every
// writer has closed it, and the writer writes the note first), so there is
// no race. Nothing is added to the data: what any program reads is unchanged.
//
// Limits: SIGKILL and the OOM killer give a tool no chance to write a note;
// a program that is not ours between two of ours passes no note on; the
// first stage may not be ours (pg_dump | ...). fpipe covers all of these.
//
// The folder is $XDG_RUNTIME_DIR/fpipe when XDG_RUNTIME_DIR is set, else
// /tmp/fpipe-UID; it is created with mode 0700 and used only if it is a real
// folder owned by the user with no access for others. A note nobody
// consumed (a program not ours read the pipe) is removed by a later writer
// once it is an hour old and no process has that pipe open any more.
package relay

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Folder returns the private folder for notes, creating it if needed.
func Folder() (string, error) {
	dir := filepath.Join(os.TempDir(), "fpipe-"+strconv.Itoa(os.Getuid()))
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" && filepath.IsAbs(x) {
		dir = filepath.Join(x, "fpipe")
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !st.IsDir() || !ok || int(sys.Uid) != os.Getuid() || st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s is not a private folder of this user; failures are not relayed", dir)
	}
	return dir, nil
}

// pipeID names the pipe f is an end of, or returns "" if f is not a pipe.
func pipeID(f *os.File) string {
	st, err := f.Stat()
	if err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		return ""
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("pipe-%d-%d", sys.Dev, sys.Ino)
}

// Leave writes a note on the pipe that out is the writing end of: why the
// tool is failing. It does nothing when out is not a pipe. Call it before
// the process closes out (before exiting).
func Leave(out *os.File, why string) error {
	id := pipeID(out)
	if id == "" {
		return nil
	}
	dir, err := Folder()
	if err != nil {
		return err
	}
	cleanStale(dir)
	tmp, err := os.CreateTemp(dir, ".note-*")
	if err != nil {
		return err
	}
	_, werr := tmp.WriteString(strings.TrimSpace(why) + "\n")
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return errors.Join(werr, cerr)
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, id))
}

// Take looks for a note on the pipe that in is the reading end of. If there
// is one, it removes it and returns what the note says, and true.
func Take(in *os.File) (string, bool) {
	id := pipeID(in)
	if id == "" {
		return "", false
	}
	dir, err := Folder()
	if err != nil {
		return "", false
	}
	p := filepath.Join(dir, id)
	f, err := os.Open(p)
	if err != nil {
		return "", false
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, _ := f.Read(buf)
	os.Remove(p)
	why := strings.TrimSpace(string(buf[:n]))
	if why == "" {
		why = "failed"
	}
	return why, true
}

// staleAge is how old an unconsumed note must be before it may go.
const staleAge = time.Hour

// cleanStale removes notes over an hour old whose pipe no process of this
// user has open any more.
func cleanStale(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var old []string
	for _, e := range ents {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleAge && strings.HasPrefix(e.Name(), "pipe-") {
			old = append(old, e.Name())
		}
	}
	if len(old) == 0 {
		return
	}
	open := openPipes()
	for _, name := range old {
		parts := strings.Split(name, "-")
		if len(parts) == 3 && !open[parts[2]] {
			os.Remove(filepath.Join(dir, name))
		}
	}
}

// openPipes lists the inodes of pipes open in processes we can see.
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
