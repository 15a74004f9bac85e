// Package option is the error of a stage option given an invalid value,
// shared by the stage packages, which speak Go, and the tools, which name
// the flag the value came from.
package option

import (
	"errors"
	"fmt"
)

// Error is an invalid value of an option. Error returns the message in the
// library's words ("threads 0: need at least 1"); Why says only what is
// wrong with the value ("need at least 1"), for a tool to put after the
// flag that gave it.
type Error struct {
	Msg string
	Why string
}

func (e *Error) Error() string { return e.Msg }

// Errorf returns an *Error whose Why is why and whose message is why after
// the option's words and value: Errorf("need at least 1", "threads %d", 0)
// reads "threads 0: need at least 1".
func Errorf(why, format string, a ...any) error {
	return &Error{Msg: fmt.Sprintf(format, a...) + ": " + why, Why: why}
}

// Flag returns err as a tool reports it: "what: why", where what is the
// flag and its value as the user wrote them ("--threads 0") and why is
// the Why of an *Error, or err's message for any other error.
func Flag(what string, err error) error {
	var oe *Error
	if errors.As(err, &oe) {
		return errors.New(what + ": " + oe.Why)
	}
	return fmt.Errorf("%s: %w", what, err)
}
