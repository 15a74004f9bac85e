package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// tools lists the commands under cmd/.
func tools(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("../cmd")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && e.Name() != "internal" {
			names = append(names, e.Name())
		}
	}
	return names
}

var (
	helpFlag   = regexp.MustCompile(`^\s+(?:-[A-Za-z0-9], )?--([a-z0-9][a-z0-9-]*)`)
	manFlag    = regexp.MustCompile(`\\-\\-([a-z0-9][a-z0-9\\-]*)`)
	manSection = regexp.MustCompile(`(?m)^\.SH\s+"?([A-Z ]+)"?\s*$`)
)

// helpFlags are the long flags that tool --help lists.
func helpFlags(t *testing.T, tool string) []string {
	out, err := exec.Command(bin(tool), "--help").Output()
	if err != nil {
		t.Fatalf("%s --help: %v", tool, err)
	}
	var flags []string
	for _, line := range strings.Split(string(out), "\n") {
		if m := helpFlag.FindStringSubmatch(line); m != nil {
			flags = append(flags, m[1])
		}
	}
	slices.Sort(flags)
	return slices.Compact(flags)
}

// manFlags are the long flags that the OPTIONS section of a man page
// describes in its .TP items.
func manFlags(t *testing.T, page string) []string {
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	var opts string
	locs := manSection.FindAllStringSubmatchIndex(src, -1)
	for i, l := range locs {
		if src[l[2]:l[3]] == "OPTIONS" {
			end := len(src)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			opts = src[l[1]:end]
		}
	}
	if opts == "" {
		t.Fatalf("%s has no OPTIONS section", page)
	}
	var flags []string
	lines := strings.Split(opts, "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, ".TP") && i+1 < len(lines) {
			for _, m := range manFlag.FindAllStringSubmatch(lines[i+1], -1) {
				flags = append(flags, strings.ReplaceAll(m[1], `\-`, "-"))
			}
		}
	}
	slices.Sort(flags)
	return slices.Compact(flags)
}

// TestManPages fails when a man page and its tool's flag set disagree, in
// either direction, or a page lacks a required section.
func TestManPages(t *testing.T) {
	for _, tool := range tools(t) {
		t.Run(tool, func(t *testing.T) {
			page := filepath.Join("..", "man", tool+".1")
			b, err := os.ReadFile(page)
			if err != nil {
				t.Fatalf("no man page: %v", err)
			}
			for _, sec := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES", "SEE ALSO"} {
				if !regexp.MustCompile(`(?m)^\.SH\s+"?` + sec + `"?\s*$`).Match(b) {
					t.Errorf("%s: no %s section", page, sec)
				}
			}
			help, man := helpFlags(t, tool), manFlags(t, page)
			for _, f := range help {
				if !slices.Contains(man, f) {
					t.Errorf("--%s is in %s --help but not in %s", f, tool, page)
				}
			}
			for _, f := range man {
				if !slices.Contains(help, f) {
					t.Errorf("--%s is in %s but not in %s --help", f, page, tool)
				}
			}
		})
	}
}
