package sink

import "errors"

// The refusals below reach the caller wrapped in an *fs.PathError that
// names the destination; test them with errors.Is.
var (
	// ErrSymlink: the destination is a symbolic link and Follow was not given.
	ErrSymlink = errors.New("is a symbolic link")
	// ErrEmpty: Commit refused an empty stream over a non-empty file
	// (AllowEmpty was not given). The destination is kept.
	ErrEmpty = errors.New("empty input would replace a non-empty file")
	// ErrNotTakenBack: Abort of an Append could not take the appended bytes
	// back, because the file is no longer as this Writer left it (another
	// writer appended, it was truncated or replaced). Its bytes are kept.
	ErrNotTakenBack = errors.New("not taken back")
)
