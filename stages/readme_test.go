package stages_test

import (
	"os"
	"strings"
	"testing"
)

// The README's Go example is the code of Example_backup, so that it
// compiles and runs: the two must not drift apart.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	want := funcText(t, string(example), "example_test.go")
	if got := funcText(t, string(readme), "README.md"); got != want {
		t.Errorf("README.md's func backup differs from example_test.go's:\n%s\nwant\n%s", got, want)
	}
}

// funcText returns func backup's text in s, up to its closing brace.
func funcText(t *testing.T, s, name string) string {
	t.Helper()
	i := strings.Index(s, "\nfunc backup(")
	if i < 0 {
		t.Fatalf("%s: no func backup", name)
	}
	s = s[i+1:]
	j := strings.Index(s, "\n}\n")
	if j < 0 {
		t.Fatalf("%s: func backup has no end", name)
	}
	return s[:j+3]
}
