package lint

import (
	"context"
	"fmt"
	"strings"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
)

var etcMerge = &Rule{
	ID: "etc-merge", Level: Warning, Source: "oslayer", Relative: true, Upgrade: true,
	Description: "files the new release changes in /etc reach only the machines that never touched them",
	Help: "ostree merges /etc three ways on every upgrade: a file the machine left as its release shipped it takes the new release's version; a file the machine modified or added keeps the machine's version, and the new release's change is lost; a file it deleted stays deleted. " +
		"Ship defaults under /usr instead, where every upgrade replaces them: a vendor file the program reads before /etc (/usr/lib/NAME/..., /usr/share/NAME/...), or a drop-in directory, so that machines keep their own changes in /etc and still get yours. " +
		"With --etc DIR (a copy of a machine's /etc) or --etc FILE (what ostree admin config-diff prints on it), each finding says what that machine ends up with.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		var machine *machineEtc
		if t.Previous.Etc != "" {
			var err error
			if machine, err = readMachineEtc(t.Previous.Etc); err != nil {
				return nil, err
			}
		}
		var out []Finding
		for _, c := range t.Previous.Changes {
			if !under(c.Path, "/etc") || c.Path == "/etc" || c.Type == layer.TypeDir && c.Kind != diff.Removed && c.Kind != diff.TypeChange {
				continue
			}
			rel := strings.TrimPrefix(c.Path, "/")
			old := t.Previous.Tree.Lookup(rel)
			if machine == nil {
				if c.Kind == diff.Added {
					continue // every machine without a file of its own there gets it
				}
				out = append(out, finding(c.Path, c.Package, fmt.Sprintf("the new release %s: machines that modified this file keep their own version", releaseDid(c))))
				continue
			}
			state, err := machine.state(c.Path, old)
			if err != nil {
				return nil, err
			}
			f := etcOutcome(c, state)
			f.Path, f.Package = c.Path, c.Package
			if f.Message != "" {
				out = append(out, f)
			}
		}
		return out, nil
	},
}

// releaseDid says what the new release did to a path, for messages.
func releaseDid(c diff.Change) string {
	switch c.Kind {
	case diff.Added:
		return "adds it"
	case diff.Removed:
		return "removes it"
	}
	return "changes it (" + whatChanged(c) + ")"
}

// etcOutcome predicts, by ostree's merge rules, what a machine whose copy
// of the file is in state ends up with; a message of "" is nothing to say.
func etcOutcome(c diff.Change, state localState) Finding {
	did := releaseDid(c)
	switch state {
	case localUntouched:
		switch c.Kind {
		case diff.Added:
			return Finding{}
		case diff.Removed:
			return Finding{Level: Info, Message: fmt.Sprintf("the new release %s; this machine left it untouched, so it is removed there too", did)}
		}
		return Finding{Level: Info, Message: fmt.Sprintf("the new release %s; this machine left it untouched and gets the new release's", did)}
	case localDeleted:
		return Finding{Message: fmt.Sprintf("the new release %s; this machine deleted it, and it stays deleted", did)}
	case localAdded:
		return Finding{Message: fmt.Sprintf("the new release %s; this machine has a file of its own there and keeps it (conflict)", did)}
	}
	return Finding{Message: fmt.Sprintf("the new release %s; this machine modified it and keeps its own version (conflict)", did)}
}
