//go:build unix

package cli

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// watchClosed calls gone once f, a pipe or socket, has no reader any more
// (poll reports POLLERR / POLLHUP on the write end), checking twice a
// second until ctx ends. On a terminal or a regular file it never fires.
func watchClosed(ctx context.Context, f *os.File, gone func()) {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	fds := []unix.PollFd{{}}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var n int
		var perr error
		cerr := rc.Control(func(fd uintptr) {
			fds[0].Fd, fds[0].Revents = int32(fd), 0
			n, perr = unix.Poll(fds, 0)
		})
		if cerr == nil && perr == nil && n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			gone()
			return
		}
	}
}
