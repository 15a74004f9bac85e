package cli

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// Levels is a compressor's level as gzip, pigz and zstd write it on their
// command lines: -6, -19, -9c, -c9, --level N. Digits written one right
// after the other in one word make one number (-19 is nineteen, -91
// ninety-one, as pigz and zstd read them); a word, or another flag in
// between, starts a new one (-1 -9 and -1c9 are level 9), and the last
// level given wins.
//
// pflag sees -19 as the flags -1 and -9, one at a time, so Levels defines
// the digits -0 ... -9 as flags that add up, Seal makes every other flag
// end the number, and LevelWords marks the end of each word.
type Levels struct {
	// V is the level: the default until a flag sets it. A number of more
	// than four digits is left as MaxInt, which no tool takes.
	V int
	// Digits is the last level as written with digit flags ("91", "011"),
	// or "" when the default or --level set it: a tool names a level it
	// does not take as the user wrote it.
	Digits string
	open   bool // the last flag set was a digit
}

// wordEnd is the hidden flag that LevelWords puts after a word.
const wordEnd = "level-word-end"

// DefineLevels defines the digit flags -0 ... -9 on fs, hidden unless named
// in names (1: {"fast", "compress faster (level 1)"}, as gzip's), and
// returns the level, def until a flag sets it. The tool defines --level
// itself with fs.Var(l, "level", usage), and calls Seal once every flag is
// defined.
func DefineLevels(fs *pflag.FlagSet, def int, names map[int][2]string) *Levels {
	l := &Levels{V: def}
	for v := 0; v <= 9; v++ {
		name, usage := "level-digit-"+strconv.Itoa(v), ""
		if n, ok := names[v]; ok {
			name, usage = n[0], n[1]
		}
		f := fs.VarPF(&digitFlag{l, byte('0' + v)}, name, strconv.Itoa(v), usage)
		f.NoOptDefVal = "true"
		if usage == "" {
			fs.MarkHidden(name)
		}
	}
	return l
}

// Seal makes every flag of fs but the digits end the number that the
// digits were writing, and defines the hidden flag that LevelWords puts
// after words. Call it once every flag is defined.
func (l *Levels) Seal(fs *pflag.FlagSet) {
	fs.Bool(wordEnd, false, "")
	fs.MarkHidden(wordEnd)
	fs.VisitAll(func(f *pflag.Flag) {
		if _, ok := f.Value.(*digitFlag); !ok {
			f.Value = &boundary{f.Value, l}
		}
	})
}

// LevelWords returns a cli.Tool's Args hook that marks the end of each
// word before a "--" that may end in a digit flag: a word that starts
// with "-" and ends with a digit (-1, -c9, -p4), a --flag=value, and the
// long names of digit flags (--fast). It adds a hidden flag after such a
// word, so that -1 -9 is level 9, not 19. A word that a flag takes as
// its value (-p 4) is complete by then, so the mark changes nothing else.
func LevelWords(names ...string) func([]string) []string {
	return func(args []string) []string {
		out := make([]string, 0, 2*len(args))
		for i, a := range args {
			if a == "--" {
				return append(out, args[i:]...)
			}
			out = append(out, a)
			if len(a) < 2 || a[0] != '-' {
				continue
			}
			if last := a[len(a)-1]; last >= '0' && last <= '9' ||
				strings.HasPrefix(a, "--") && strings.Contains(a, "=") || slices.Contains(names, a) {
				out = append(out, "--"+wordEnd)
			}
		}
		return out
	}
}

// String, Set and Type make Levels the Value of a tool's --level flag.
func (l *Levels) String() string { return strconv.Itoa(l.V) }
func (l *Levels) Type() string   { return "int" }
func (l *Levels) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not a number")
	}
	l.V, l.Digits = n, ""
	return nil
}

// digitFlag is one of -0 ... -9.
type digitFlag struct {
	l *Levels
	d byte
}

func (f *digitFlag) String() string { return "false" }
func (f *digitFlag) Type() string   { return "bool" }
func (f *digitFlag) Set(s string) error {
	if ok, err := strconv.ParseBool(s); err != nil || !ok {
		return errors.New("takes no value")
	}
	l := f.l
	if !l.open {
		l.Digits = ""
	}
	l.open = true
	l.Digits += string(f.d)
	// pigz and zstd read -011 as 11 and -00 as 0.
	switch t := strings.TrimLeft(l.Digits, "0"); {
	case t == "":
		l.V = 0
	case len(t) > 4:
		l.V = math.MaxInt
	default:
		l.V, _ = strconv.Atoi(t)
	}
	return nil
}

// boundary wraps every other flag's value: setting it ends the number
// the digit flags were writing.
type boundary struct {
	pflag.Value
	l *Levels
}

func (b *boundary) Set(s string) error {
	b.l.open = false
	return b.Value.Set(s)
}
