package sum

import "github.com/fpipe/fpipe/stages"

var (
	_ stages.TwoPhase = (*Writer)(nil)
	_ stages.TwoPhase = (*Reader)(nil)
)

// writeLines writes the sum lines into the Output sink, once.
func (c *core) writeLines() error {
	if c.written {
		return nil
	}
	c.written = true
	_, err := c.cfg.out.Write(c.AppendLines(nil))
	return err
}

// Prepare writes the lines into an Output sink that implements
// stages.TwoPhase and prepares it, so that a chain commits the sum file and
// the data it describes as one decision (stages.Run). It does nothing for
// other Output sinks, or when the stream did not end cleanly (Commit then
// says why).
func (c *core) Prepare() error {
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	tp, ok := c.cfg.out.(stages.TwoPhase)
	if st != stFinished || !ok {
		return nil
	}
	if err := c.writeLines(); err != nil {
		return err
	}
	return tp.Prepare()
}

// Rollback takes back a Commit after Prepare (the Output sink's Rollback);
// before Commit it is Abort.
func (c *core) Rollback() error {
	c.mu.Lock()
	committed := c.state == stCommitted
	if committed {
		c.state = stAborted
	}
	c.mu.Unlock()
	if !committed {
		return c.Abort()
	}
	if tp, ok := c.cfg.out.(stages.TwoPhase); ok {
		return tp.Rollback()
	}
	return nil
}

// Finish makes a Commit after Prepare final (the Output sink's Finish).
func (c *core) Finish() error {
	if tp, ok := c.cfg.out.(stages.TwoPhase); ok {
		return tp.Finish()
	}
	return nil
}
