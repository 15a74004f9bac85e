package tests

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cronJob is the nightly job of README.md: the sh block after the marker.
func cronJob(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- nightly-backup:")
	if !ok {
		t.Fatal("README.md: no nightly-backup marker")
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	if !ok {
		t.Fatal("README.md: no sh block after the nightly-backup marker")
	}
	job, _, ok := strings.Cut(rest, "```\n")
	if !ok {
		t.Fatal("README.md: the nightly-backup block does not end")
	}
	return job
}

// cronLocation is the time zone a job gets with cron's environment (no
// TZ): the system's.
func cronLocation(t *testing.T) *time.Location {
	b, err := os.ReadFile("/etc/localtime")
	if err != nil {
		return time.UTC
	}
	loc, err := time.LoadLocationFromTZData("Local", b)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestCronNightlyJob runs README's nightly job as cron would (env -i, a
// bare PATH, /bin/sh -c), night after night with FPIPE_TIME, and checks
// retention, the sum files, a failed night and an overlapping run.
func TestCronNightlyJob(t *testing.T) {
	for _, p := range []string{"/bin/sh", "/usr/bin/env", "/usr/bin/flock", "sha256sum", "gzip"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s: %v", p, err)
		}
	}
	job := cronJob(t)
	work := t.TempDir()
	dir := filepath.Join(work, "backup")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	loc := cronLocation(t)
	night := func(d int) time.Time { return time.Date(2026, 11, d, 3, 0, 0, 0, loc) }
	name := func(d int) string { return "mydb-" + night(d).Format("2006-01-02") + ".sql.gz" }

	run := func(d int, dump string) (string, error) {
		t.Helper()
		cmd := exec.Command("/usr/bin/env", "-i",
			"PATH=/usr/bin:/bin:"+binDir, "HOME="+work, "SHELL=/bin/sh", "LOGNAME=backup",
			"BACKUP_DIR="+dir, "BACKUP_DUMP="+dump,
			"FPIPE_TIME="+strconv.FormatInt(night(d).Unix(), 10),
			"/bin/sh", "-c", job)
		cmd.Dir = work
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	// Each night's dump is different, and large enough for several gzip blocks.
	dumpOf := func(d int) string {
		f := filepath.Join(work, fmt.Sprintf("db-%d.sql", d))
		var b bytes.Buffer
		for i := range 200000 {
			fmt.Fprintf(&b, "INSERT INTO t VALUES (%d, 'night %d');\n", i, d)
		}
		if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	backups := func() (gz, sums []string) {
		t.Helper()
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			switch n := e.Name(); {
			case strings.HasSuffix(n, ".sql.gz"):
				gz = append(gz, n)
			case strings.HasSuffix(n, ".sql.gz.sha256"):
				sums = append(sums, n)
			case n == ".nightly-backup.lock":
			default:
				t.Errorf("unexpected file in the backup folder: %s", n)
			}
		}
		return gz, sums
	}
	sha256sumC := func(sum string) {
		t.Helper()
		cmd := exec.Command("sha256sum", "--check", "--strict", sum)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c %s: %v\n%s", sum, err, out)
		}
	}

	// Nine good nights: the job prints nothing, keeps the newest 7 backups
	// (oldest removed by the dates in their names) and every sum file.
	dumps := map[int]string{}
	for d := 1; d <= 9; d++ {
		dumps[d] = dumpOf(d)
		if out, err := run(d, "fread "+dumps[d]); err != nil || out != "" {
			t.Fatalf("night %d: %v, output %q", d, err, out)
		}
		if _, err := os.Stat(filepath.Join(dir, name(d))); err != nil {
			t.Fatalf("night %d: %v", d, err)
		}
	}
	gz, sums := backups()
	var want []string
	for d := 3; d <= 9; d++ {
		want = append(want, name(d))
	}
	if !slices.Equal(gz, want) {
		t.Fatalf("after 9 nights with --keep 7: backups %q, want %q", gz, want)
	}
	if len(sums) != 9 {
		t.Errorf("sum files %q, want all 9", sums)
	}
	for d := 3; d <= 9; d++ {
		sha256sumC(name(d) + ".sha256")
		// and the backup holds that night's dump
		out, err := exec.Command("gzip", "-dc", filepath.Join(dir, name(d))).Output()
		if err != nil {
			t.Fatalf("gzip -dc %s: %v", name(d), err)
		}
		in, _ := os.ReadFile(dumps[d])
		if sha256.Sum256(out) != sha256.Sum256(in) {
			t.Errorf("%s does not hold night %d's dump", name(d), d)
		}
	}

	// A week and more of failing nights (a missing dump, a dump program
	// that fails) removes nothing: the last good backups stay.
	snapshot := func() map[string][32]byte {
		m := map[string][32]byte{}
		gz, sums := backups()
		for _, n := range append(gz, sums...) {
			b, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				t.Fatal(err)
			}
			m[n] = sha256.Sum256(b)
		}
		return m
	}
	before := snapshot()
	for d := 10; d <= 18; d++ {
		dump := "fread " + filepath.Join(work, "missing.sql")
		wantErr := "missing.sql: no such file or directory"
		if d%2 == 0 {
			dump, wantErr = "false", "(false): exited with status 1"
		}
		out, err := run(d, dump)
		if err == nil {
			t.Fatalf("night %d with a failing dump: exit 0, output %q", d, out)
		}
		if !strings.Contains(out, wantErr) {
			t.Errorf("night %d: output %q, want it to name the cause %q", d, out, wantErr)
		}
	}
	if after := snapshot(); !maps.Equal(before, after) {
		t.Errorf("failed nights changed the backups:\nbefore %v\nafter  %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
	}

	// An overlapping run: while the lock is held, the job exits 1 at once
	// and changes nothing.
	lock, err := os.OpenFile(filepath.Join(dir, ".nightly-backup.lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	dumps[20] = dumpOf(20)
	start := time.Now()
	out, err := run(20, "fread "+dumps[20])
	if err == nil || !strings.Contains(out, "the last run is still going") {
		t.Errorf("a run while the last one holds the lock: %v, output %q", err, out)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the overlapping run waited %v for the lock", time.Since(start))
	}
	if after := snapshot(); !maps.Equal(before, after) {
		t.Errorf("an overlapping run changed the backups")
	}
	syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	// The next good night removes the oldest beyond 7 again.
	if out, err := run(20, "fread "+dumps[20]); err != nil || out != "" {
		t.Fatalf("night 20: %v, output %q", err, out)
	}
	gz, _ = backups()
	want = append(want[1:], name(20))
	if !slices.Equal(gz, want) {
		t.Errorf("after night 20: backups %q, want %q", gz, want)
	}
	sha256sumC(name(20) + ".sha256")
}
