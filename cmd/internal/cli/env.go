package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"

	"github.com/fpipe/fpipe/stages"
)

// Env is what a stage may use of the process around it.
type Env struct {
	Ctx    context.Context
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Tool   string // the tool's name, for messages
	// Sink, under fpipe, is the destination (as written, placeholders not
	// expanded) of the fsink that receives this stage's output unchanged:
	// only pass-through stages in between. Empty otherwise.
	Sink string

	mu     sync.Mutex
	warned bool
	first  string // the first line Warn printed
}

// Warn reports a problem that does not stop the tool, as "tool: message",
// and makes it exit 1 at the end.
func (e *Env) Warn(err error) {
	line := e.Tool + ": " + Message(err)
	e.mu.Lock()
	e.warned = true
	if e.first == "" {
		e.first = line
	}
	e.mu.Unlock()
	fmt.Fprintln(e.Stderr, line)
}

// Warned reports whether Warn was called.
func (e *Env) Warned() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.warned
}

// Message is the text printed for err after "tool: ". A path error names
// the path once, without the operation; an error writing standard output
// reads "write error: why", as cat and coreutils say it. The text is one
// line whatever the names in it hold: a path with a control character is
// quoted as coreutils quotes it (a newline as $'\n'), and any other control
// character is written as a C escape (\n, \033).
func Message(err error) string { return escapeControls(message(err)) }

func message(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe == err {
		switch pe.Path {
		case "/dev/stdout":
			return "write error: " + pe.Err.Error()
		case "/dev/stdin":
			return "read error: " + pe.Err.Error()
		}
		if strings.HasPrefix(pe.Path, "|") { // a pipe between two stages (os.Pipe names them |0 and |1)
			if pe.Op == "read" {
				return "reading from the stage before: " + pe.Err.Error()
			}
			return "writing to the stage after: " + pe.Err.Error()
		}
		path := pe.Path
		if strings.ContainsFunc(path, isControl) {
			path = Quote(path)
		}
		return path + ": " + pe.Err.Error()
	}
	if se, ok := err.(*stages.Error); ok {
		return se.Stage + ": " + message(se.Err)
	}
	return err.Error()
}

// firstWarning is the first problem Warn reported, or err's message.
func (e *Env) firstWarning(err error) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.first != "" {
		return e.first
	}
	if err != nil {
		return e.Tool + ": " + Message(err)
	}
	return e.Tool + ": failed"
}
