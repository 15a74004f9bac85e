// Package unixfs holds the small file-system helpers that the sink and the
// file mode of fgz and fzst share.
package unixfs

import (
	"io/fs"
	"strings"

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

// SplitPath cuts p before its last name, without cleaning it: "a/../t" is
// the name t in the folder "a/..", which the kernel resolves as the parent
// of a's target, not as ".".
func SplitPath(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/')
	switch {
	case i < 0:
		return ".", p
	case i == 0:
		return "/", p[1:]
	}
	return p[:i], p[i+1:]
}
