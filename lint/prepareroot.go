package lint

import (
	"bufio"
	"fmt"
	"io/fs"
	"strings"
)

// prepareRootPaths are where ostree-prepare-root looks for its
// configuration; the first that exists wins.
var prepareRootPaths = []string{"etc/ostree/prepare-root.conf", "usr/lib/ostree/prepare-root.conf"}

// composefsMode is the value of [composefs] enabled, as ostree reads it.
type composefsMode int

const (
	composefsUnset   composefsMode = iota // no value: disabled
	composefsNo                           // no, false, 0
	composefsYes                          // yes, true, 1
	composefsMaybe                        // maybe: used when the file system allows
	composefsSigned                       // signed: required, with a signature
	composefsVerity                       // verity: required, with fs-verity
	composefsInvalid                      // anything else: bootc counts it disabled
)

// parseComposefsMode reads a [composefs] enabled value: ostree's tristate
// (yes/true/1, no/false/0, maybe) or signed or verity.
func parseComposefsMode(v string) (composefsMode, error) {
	switch v {
	case "yes", "true", "1":
		return composefsYes, nil
	case "no", "false", "0":
		return composefsNo, nil
	case "maybe":
		return composefsMaybe, nil
	case "signed":
		return composefsSigned, nil
	case "verity":
		return composefsVerity, nil
	}
	return composefsInvalid, fmt.Errorf("invalid value %q (want yes, no, maybe, signed or verity)", v)
}

// enabled reports whether composefs may be used: every value but unset,
// no and invalid.
func (m composefsMode) enabled() bool {
	switch m {
	case composefsYes, composefsMaybe, composefsSigned, composefsVerity:
		return true
	}
	return false
}

// parseKeyfileBool reads a GKeyFile boolean: true or 1, false or 0.
func parseKeyfileBool(v string) (bool, error) {
	switch v {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q (want true, false, 1 or 0)", v)
}

// prepareRoot is what oslayer needs from prepare-root.conf.
type prepareRoot struct {
	Path string // "" when there is none
	// Composefs is [composefs] enabled; ComposefsValue the value written.
	Composefs      composefsMode
	ComposefsValue string
	Transient      bool // [root] transient
	// Errors are what ostree (GKeyFile) refuses: a line that is neither a
	// group, a key = value pair nor a comment, a key before any group, a
	// transient that is not a boolean. bootc stops linting on them.
	Errors []string
}

// overlayfsEnabled follows bootc: composefs enabled (yes, maybe, signed,
// verity) or a transient root count as enabled.
func (p prepareRoot) overlayfsEnabled() bool {
	return p.Composefs.enabled() || p.Transient
}

// readPrepareRoot reads the first prepare-root.conf of the tree.
func readPrepareRoot(fsys fs.FS) prepareRoot {
	for _, p := range prepareRootPaths {
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			continue
		}
		out := parsePrepareRoot(string(data))
		out.Path = "/" + p
		return out
	}
	return prepareRoot{}
}

// parsePrepareRoot parses a GKeyFile: "[group]" headers, "key = value"
// lines, "#" comments. Groups of the same name merge; the last value of a
// key wins.
func parsePrepareRoot(data string) prepareRoot {
	var out prepareRoot
	group, transient := "", ""
	sc := bufio.NewScanner(strings.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			if !strings.HasSuffix(line, "]") {
				out.Errors = append(out.Errors, fmt.Sprintf("line %d: %q is not a group header", n, line))
				continue
			}
			group = line[1 : len(line)-1]
		default:
			k, v, ok := strings.Cut(line, "=")
			switch {
			case !ok:
				out.Errors = append(out.Errors, fmt.Sprintf("line %d: %q is not a key = value pair, a group or a comment", n, line))
				continue
			case group == "":
				out.Errors = append(out.Errors, fmt.Sprintf("line %d: key %q before any group", n, strings.TrimSpace(k)))
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			switch {
			case group == "composefs" && k == "enabled":
				out.ComposefsValue = v
			case group == "root" && k == "transient":
				transient = v
			}
		}
	}
	if out.ComposefsValue != "" {
		out.Composefs, _ = parseComposefsMode(out.ComposefsValue)
	}
	if transient != "" {
		var err error
		if out.Transient, err = parseKeyfileBool(transient); err != nil {
			out.Errors = append(out.Errors, "[root] transient: "+err.Error())
		}
	}
	return out
}
