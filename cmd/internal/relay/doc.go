// Package relay makes the fate of one stage travel along a shell pipe of
// fpipe's tools, in both directions, without changing one byte of the data.
//
// In `fread db | fgz | fsink b`, when fread fails, fgz only sees the end of
// its input, exactly as if fread had succeeded. The relay closes that gap
// with marks that belong to the pipe itself: the size of its kernel buffer
// (fcntl F_SETPIPE_SZ), which both ends share, which any process holding
// either end can read, and which stays as it was left after the writer
// exits (even after SIGKILL), for as long as the reader holds the pipe.
//
//   - A writer of ours sets its standard output pipe to the "running" size
//     (512 KiB) before it writes a byte, and grows it to the "clean" size
//     (1 MiB) only just before it exits after a clean end ([Begin],
//     [Out.Clean]).
//   - A reader of ours, once it has read its standard input to the end,
//     reads the size ([Check]). "Running" means that a writer of ours did
//     not end cleanly (it failed, was signalled, killed or crashed): the
//     reader fails too and commits nothing. Any other size means success or
//     a writer that is not ours, whose failure the reader cannot know.
//   - Sizes are owned by the pipe: a FIFO opened again later starts at the
//     default size, so there is no stale state, and the marks work whoever
//     (which user) is at the other end.
//
// The other direction serves fsum -o, whose sum file must only describe a
// file that was committed. Such a writer marks its output "waiting" (256
// KiB) instead of "clean", lets go of its write end while keeping the pipe
// open for reading through /proc/self/fd, and waits ([Out.Handoff]): a
// reader of ours that sees "waiting" at the end of its input marks its
// input "committed" (4 KiB, [Confirm]) once it has committed (fsink) or
// heard the same from the stage after it (a filter), "done" (16 KiB,
// [ConfirmDone]) when it and the stages after it ended cleanly but nothing
// after it commits (a filter whose output is a file, a terminal or a
// program that is not ours), and "refused" (8 KiB, [Refuse]) otherwise.
// The waiting writer commits on "committed" or "done" only (fpv, which
// waits only to report, tells the two apart: [Out.Await]);
// when a tool of ours that held the pipe is gone without a mark (killed),
// or when it never saw any reader, it commits nothing. A program that is
// not ours cannot say: the writer commits once such readers have read
// everything.
//
// Notes carry only the reason, for the message: a failing tool leaves one
// in a private folder of its user ([Leave]), and the reader that fails
// because of the mark prints it ([Take]). A note never decides anything, so
// a missing, full or foreign-owned folder loses only the text, and a stale
// note cannot fail a healthy run.
//
// Limits: a program that is not ours in between or first passes no mark
// on; one that sets its pipe to exactly 512 KiB looks like a writer of ours
// that has not finished. A reader of ours that is killed after it committed
// but before it said so makes the waiting writer fail. Two tools of ours writing into one pipe at the
// same time share one mark. A user whose pipe buffers exceed
// /proc/sys/fs/pipe-user-pages-soft cannot grow pipes, so cannot mark (the
// writer says so on stderr). The marks need 4 KiB memory pages.
package relay
