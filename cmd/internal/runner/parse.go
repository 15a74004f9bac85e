package runner

import (
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Command is one stage of a pipeline as the user wrote it.
type Command struct {
	Args []string // the words after quote removal; Args[0] is the program
	Text string   // the words as written, for messages
}

// SyntaxError is a pipeline fpipe will not run, with the position (line:col)
// of the construct it refuses.
type SyntaxError struct {
	Line, Col uint
	Msg       string
}

func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
}

func refuse(p syntax.Pos, format string, a ...any) error {
	return &SyntaxError{Line: p.Line(), Col: p.Col(), Msg: fmt.Sprintf(format, a...)}
}

// only says what fpipe runs, after a refusal.
const only = "; fpipe runs simple commands joined by |"

// Limits of a pipeline's text: what fpipe is given is a pipeline, not
// data, and refusing a larger one early keeps fpipe's memory bounded.
const (
	MaxText   = 64 << 10 // bytes of text, comments included
	MaxStages = 64       // commands joined by |
	MaxWords  = 1024     // words of all the commands
)

// Parse reads a pipeline written as in sh: simple commands joined by |,
// with sh's quoting, escapes, comments and line continuations. Everything
// else (redirections, &&, ;, &, $(...), variables, globs, ~, braces) is
// refused with its position. So is a text over MaxText bytes (before it is
// parsed), or one with more than MaxStages commands or MaxWords words.
func Parse(src string) ([]Command, error) {
	if len(src) > MaxText {
		return nil, &SyntaxError{Msg: fmt.Sprintf("pipeline of %d bytes: the limit is %d bytes", len(src), MaxText)}
	}
	if err := precheck(src); err != nil {
		return nil, err
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(src), "")
	if err != nil {
		if pe, ok := err.(syntax.ParseError); ok {
			return nil, refuse(pe.Pos, "%s", pe.Text)
		}
		return nil, &SyntaxError{Msg: err.Error()}
	}
	switch len(f.Stmts) {
	case 0:
		return nil, &SyntaxError{Msg: "empty pipeline"}
	case 1:
	default:
		return nil, refuse(f.Stmts[1].Pos(), "a second command list (after ; or a new line)%s", only)
	}
	w := walker{src: src}
	if err := w.walkPipe(f.Stmts[0]); err != nil {
		return nil, err
	}
	return w.cmds, nil
}

// walker collects the commands of a pipeline and counts its words.
type walker struct {
	src   string
	cmds  []Command
	words int
}

// maxSpecial is how many of the characters that open what fpipe refuses
// anyway (( { $ `) precheck lets the parser see, to name the first.
const maxSpecial = 16

// precheck bounds what the shell parser is given, whose memory grows fast
// with nesting ("$((" 64 KiB deep took 230 MB) and with words ("if " 64
// KiB long, 70 MB): outside quotes, it counts words (a bound on the words
// and | of a pipeline fpipe runs) and the characters that open a construct
// fpipe refuses.
func precheck(src string) error {
	words, special := 0, 0
	inWord := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			inWord = false
			continue
		case c == '#' && !inWord:
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case c == '|' || c == ';' || c == '&' || c == '<' || c == '>' || c == ')':
			inWord = false
			words++
			continue
		}
		if !inWord {
			words++
			inWord = true
		}
		switch c {
		case '\\':
			i++
		case '\'':
			for i++; i < len(src) && src[i] != '\''; i++ {
			}
		case '"':
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				} else if src[i] == '$' || src[i] == '`' {
					special++
				}
			}
		case '(', '{', '$', '`':
			special++
		}
	}
	switch {
	case words > MaxWords+MaxStages:
		return &SyntaxError{Msg: fmt.Sprintf("more than %d words: the limit is %d", MaxWords, MaxWords)}
	case special > maxSpecial:
		return &SyntaxError{Msg: fmt.Sprintf("more than %d of ( { $ `%s", maxSpecial, only)}
	}
	return nil
}

func (w *walker) walkPipe(s *syntax.Stmt) error {
	if err := checkStmt(s); err != nil {
		return err
	}
	switch c := s.Cmd.(type) {
	case *syntax.BinaryCmd:
		if c.Op != syntax.Pipe {
			return refuse(c.OpPos, "%q%s", c.Op.String(), only)
		}
		if err := w.walkPipe(c.X); err != nil {
			return err
		}
		return w.walkPipe(c.Y)
	case *syntax.CallExpr:
		if len(c.Assigns) > 0 {
			return refuse(c.Assigns[0].Pos(), "variable assignment%s", only)
		}
		if len(c.Args) == 0 {
			return refuse(s.Pos(), "empty command%s", only)
		}
		if len(w.cmds) == MaxStages {
			return refuse(s.Pos(), "more than %d commands: the limit is %d", MaxStages, MaxStages)
		}
		if w.words += len(c.Args); w.words > MaxWords {
			return refuse(s.Pos(), "more than %d words: the limit is %d", MaxWords, MaxWords)
		}
		cmd := Command{Text: strings.Join(strings.Fields(w.src[c.Pos().Offset():c.End().Offset()]), " ")}
		for _, a := range c.Args {
			v, err := word(a)
			if err != nil {
				return err
			}
			cmd.Args = append(cmd.Args, v)
		}
		w.cmds = append(w.cmds, cmd)
		return nil
	case nil:
		return refuse(s.Pos(), "empty command%s", only)
	default:
		return refuse(s.Pos(), "%s%s", describe(c), only)
	}
}

func checkStmt(s *syntax.Stmt) error {
	switch {
	case len(s.Redirs) > 0:
		return refuse(s.Redirs[0].Pos(), "redirection %q%s", s.Redirs[0].Op.String(), only)
	case s.Background:
		return refuse(s.Semicolon, "background job (&)%s", only)
	case s.Negated:
		return refuse(s.Pos(), "negation (!)%s", only)
	case s.Coprocess || s.Disown:
		return refuse(s.Semicolon, "coprocess%s", only)
	}
	return nil
}

func describe(c syntax.Command) string {
	switch c.(type) {
	case *syntax.Subshell:
		return "subshell ( )"
	case *syntax.Block:
		return "command group { }"
	case *syntax.IfClause:
		return "if"
	case *syntax.WhileClause:
		return "while/until loop"
	case *syntax.ForClause:
		return "for loop"
	case *syntax.CaseClause:
		return "case"
	case *syntax.FuncDecl:
		return "function definition"
	}
	return fmt.Sprintf("%T", c)
}

// word checks that w is made only of literal text and quotes, and returns
// it after quote removal.
func word(w *syntax.Word) (string, error) {
	var b strings.Builder
	for i, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit:
			if err := checkLit(p, i == 0); err != nil {
				return "", err
			}
			b.WriteString(unescape(p.Value, ""))
		case *syntax.SglQuoted:
			if p.Dollar {
				return "", refuse(p.Pos(), "$'...' quoting%s", only)
			}
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			if p.Dollar {
				return "", refuse(p.Pos(), "$\"...\" quoting%s", only)
			}
			for _, q := range p.Parts {
				l, ok := q.(*syntax.Lit)
				if !ok {
					return "", refuse(q.Pos(), "%s inside double quotes%s", partName(q), only)
				}
				b.WriteString(unescape(l.Value, "$`\"\\\n"))
			}
		default:
			return "", refuse(part.Pos(), "%s%s", partName(part), only)
		}
	}
	return b.String(), nil
}

// unescape removes sh's backslashes: outside quotes (special == "") a
// backslash quotes any character; inside double quotes only those in
// special. A backslash before a newline joins the lines.
func unescape(s, special string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (special == "" || strings.IndexByte(special, s[i+1]) >= 0) {
			i++
			if s[i] != '\n' {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func partName(p syntax.WordPart) string {
	switch p.(type) {
	case *syntax.ParamExp:
		return "variable expansion ($)"
	case *syntax.CmdSubst:
		return "command substitution $(...)"
	case *syntax.ArithmExp:
		return "arithmetic expansion $((...))"
	case *syntax.ProcSubst:
		return "process substitution"
	case *syntax.ExtGlob:
		return "extended glob"
	case *syntax.BraceExp:
		return "brace expansion"
	}
	return fmt.Sprintf("%T", p)
}

// checkLit refuses unquoted glob and brace characters, and a leading ~.
func checkLit(l *syntax.Lit, first bool) error {
	v := l.Value
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++ // escaped: literal
		case '*', '?', '[':
			return refuse(l.Pos(), "glob %q (quote it to mean the character)%s", v, only)
		case '{', '}':
			return refuse(l.Pos(), "brace %q (quote it to mean the character)%s", v, only)
		case '~':
			if first && i == 0 {
				return refuse(l.Pos(), "tilde expansion %q (write the path out)%s", v, only)
			}
		}
	}
	return nil
}
