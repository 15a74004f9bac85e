// Package compfiles is the file mode of fgz and fzst, as gzip, pigz and
// zstd have it: FILE becomes FILE.gz (-d: FILE.gz becomes FILE, -t: tests
// FILE), each output written through the sink (a temporary file in the same
// folder, fsync, rename, fsync of the folder) with the original's mode,
// owner (when the process may) and times, and the original removed only
// after that commit, when the tool removes it (gzip does unless -k; zstd
// only with --rm).
//
// Every step on a FILE works in the folder that holds it as the kernel
// resolves it: the folder is opened once, the file is opened, checked and
// at the end removed relative to that descriptor, and the sink's folder
// must be that very folder (the same device and inode). Before it removes
// FILE, the job checks that the name still holds the inode it read (or the
// link it followed with -f): a file put at FILE meanwhile is kept (one put
// there in the instant between that check and the unlink cannot be told:
// Linux has no unlink of a name only if it holds a given inode). A FILE
// whose size or modification time changed while it was read gets no output
// and is kept. One FILE that fails or is refused does not stop the others;
// the job then exits 1.
package compfiles
