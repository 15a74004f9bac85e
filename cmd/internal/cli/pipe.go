package cli

import (
	"os"

	"golang.org/x/sys/unix"
)

// PipeBuffer is the kernel buffer GrowPipe asks for: with grown pipes one
// read takes what the stage before wrote in several, so there are fewer
// system calls and context switches. 1 MiB is the default
// /proc/sys/fs/pipe-max-size, so unprivileged users get it too.
const PipeBuffer = 1 << 20

// GrowPipe asks the kernel for a PipeBuffer buffer on x (typically
// Env.Stdin or Env.Stdout) when it is a pipe. It is a hint: errors are
// ignored.
func GrowPipe(x any) {
	f, ok := x.(*os.File)
	if !ok {
		return
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		if cur, err := unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0); err == nil && cur < PipeBuffer {
			unix.FcntlInt(fd, unix.F_SETPIPE_SZ, PipeBuffer)
		}
	})
}
