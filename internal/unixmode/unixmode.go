// Package unixmode turns the st_mode of a stat into an fs.FileMode.
package unixmode

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// Perm is the permission bits of st_mode m with its setuid, setgid and
// sticky bits, as an fs.FileMode (os.Chmod takes them so).
func Perm(m uint32) fs.FileMode {
	fm := fs.FileMode(m & 0o777)
	if m&unix.S_ISUID != 0 {
		fm |= fs.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		fm |= fs.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		fm |= fs.ModeSticky
	}
	return fm
}
