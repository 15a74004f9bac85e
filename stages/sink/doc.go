// Package sink is fpipe's sink stage: it writes a destination file
// atomically and durably, or not at all.
//
// Create opens a temporary file beside the destination before any data
// arrives (so a folder that cannot take it fails at once). Data streams into
// it. Commit then sets the final mode (and owner), fsyncs the file, renames
// it over the destination and fsyncs the folder; only then is the new
// content in place. Abort, or any failure before the rename, removes the
// temporary file and leaves the destination exactly as it was: same bytes,
// same inode.
//
// # The destination's folder
//
// Create opens the folder that holds the destination as the kernel resolves
// it ("a/../t" is t in the parent of the folder a points to, not t in the
// working folder) and does every later step relative to that descriptor: the
// checks (fstatat without following links), the temporary file, the rename
// (renameat, renameat2 with RENAME_NOREPLACE for NoClobber), the folder's
// fsync and the removal of leftovers. With Follow, each link is read with
// readlinkat in the folder that holds it, at most 40 of them.
//
// # Several outputs as one decision
//
// Writer implements stages.TwoPhase. After Prepare (the data checked, mode
// and owner set, fsynced), Commit hard-links the file it replaces to
// ".NAME.XXXXXXXXXXXX.fsink-old" (locked while kept) before its rename;
// Rollback renames that file back, Finish removes it (without syncing the
// folder again: a crash that loses the removal brings the old version back,
// to be reported as below). stages.Run uses this to
// commit a data file and its sum file together. A writer that dies between
// Commit and Finish leaves the old version behind; a later Create in that
// folder lists it (Interrupted) once it is unlocked and ten seconds old, and
// never removes or restores it: which outputs of the interrupted decision
// were renamed is not known, so restoring could undo a complete commit. The
// one exception is a kept file that is still the very file its owner's name
// holds (the writer died after the link, before its rename): nothing is lost
// by removing it, and Create does.
//
// # Temporary files
//
// The temporary file is named ".NAME.XXXXXXXXXXXX.fsink-tmp" (NAME is the
// destination's name, shortened if long; X is random hex), created with
// O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, and held under an exclusive
// flock(2) while its writer lives. A writer killed with SIGKILL leaves it
// behind; the next Create in that folder removes such leftovers, but only
// those it can lock (so their writer is gone) and that are at least ten
// seconds old (so a writer that has just created its file and not yet
// locked it is never disturbed). Age alone never removes a file: a
// throttled copy may run for days.
//
// # Destinations
//
// An existing destination keeps its permission bits and, when the process
// may (root), its owner and group. A new one gets 0666 minus the umask, or
// the Mode option. A destination that is a directory, a FIFO, a socket or a
// device is refused; so is a symbolic link unless Follow is given, which
// replaces the link's final target in the target's folder. A destination
// with other hard links is replaced like any file: its name gets the new
// content, and the other names keep the old content (as with any rename, and
// as a backup rotation that shares unchanged files by hard links expects).
package sink
