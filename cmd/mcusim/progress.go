package main

import (
	"fmt"
	"io"
	"time"
)

// progress reports long work on stderr: nothing for the first second (most
// runs finish sooner), then at most one line a second, and a last line when a
// line was printed. Off under --json unless --progress.
type progress struct {
	w           io.Writer
	verb, what  string
	on          bool
	start, last time.Time
	printed     bool
}

func newProgress(w io.Writer, verb, what string, on bool) *progress {
	now := time.Now()
	return &progress{w: w, verb: verb, what: what, on: on, start: now, last: now}
}

// report is called after each item; it has the signature of the facade's
// progress callbacks.
func (p *progress) report(done, total int) {
	if !p.on {
		return
	}
	now := time.Now()
	if done < total && now.Sub(p.last) < time.Second {
		return
	}
	if done == total && !p.printed {
		return
	}
	p.last, p.printed = now, true
	fmt.Fprintf(p.w, "mcusim %s: %d/%d %s, %.1f s\n", p.verb, done, total, p.what, now.Sub(p.start).Seconds())
}
