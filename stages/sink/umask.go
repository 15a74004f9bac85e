package sink

import (
	"bufio"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// umask reads the process umask from /proc without changing it (changing
// it to read it would race with other goroutines creating files). It is
// read at each call, so a long-running program may change its umask.
func umask() fs.FileMode {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0o022
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return fs.FileMode(m)
			}
		}
	}
	return 0o022
}
