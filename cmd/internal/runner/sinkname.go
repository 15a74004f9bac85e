package runner

import "io"

// passThrough names the tools whose output is their input, byte for byte.
var passThrough = map[string]bool{"fsum": true, "frate": true, "fpv": true}

// sinkAfter is the destination of the pipeline's fsink when stage i's
// output reaches it unchanged (only pass-through tools of ours in between),
// as its words give it; "" when there is no such fsink, or its words do not
// name one destination (they are checked again when it is built). fsum -o
// records it as the name its sum lines describe.
func (p *pipeline) sinkAfter(i int) string {
	n := len(p.stages)
	last := p.stages[n-1]
	if i >= n-1 || !last.inProcess() || last.tool.Name != "fsink" {
		return ""
	}
	for _, s := range p.stages[i+1 : n-1] {
		if !s.inProcess() || !passThrough[s.tool.Name] {
			return ""
		}
	}
	_, fs, help, version, err := last.tool.Parse(last.cmd.Args[1:], io.Discard)
	if err != nil || help || version || fs.NArg() != 1 || fs.Arg(0) == "-" {
		return ""
	}
	return fs.Arg(0)
}
