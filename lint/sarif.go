package lint

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// SARIF constants.
const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	// sarifToolURI is the driver's informationUri.
	sarifToolURI = "https://github.com/oslayer/oslayer"
	// sarifFingerprint names the partial fingerprint oslayer computes.
	// The "/v1" lets a later scheme coexist with alerts tracked by this one.
	sarifFingerprint = "oslayer/v1"
)

// The SARIF 2.1.0 objects oslayer writes: the subset GitHub code scanning
// reads, with fields in a fixed order so that output is deterministic.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool        sarifTool         `json:"tool"`
		Invocations []sarifInvocation `json:"invocations"`
		Results     []sarifResult     `json:"results"`
		Properties  *sarifRunProps    `json:"properties,omitempty"`
	}
	sarifRunProps struct {
		Target   string   `json:"target"`
		Mode     string   `json:"mode,omitempty"`
		Base     string   `json:"base,omitempty"`
		BaseFrom string   `json:"baseFrom,omitempty"`
		Notes    []string `json:"notes,omitempty"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name            string      `json:"name"`
		InformationURI  string      `json:"informationUri"`
		Version         string      `json:"version,omitempty"`
		SemanticVersion string      `json:"semanticVersion,omitempty"`
		Rules           []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string          `json:"id"`
		Name                 string          `json:"name"`
		ShortDescription     sarifText       `json:"shortDescription"`
		FullDescription      sarifText       `json:"fullDescription"`
		Help                 sarifText       `json:"help"`
		DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
		Properties           sarifRuleProps  `json:"properties"`
	}
	sarifRuleConfig struct {
		Level string `json:"level"`
	}
	sarifRuleProps struct {
		Tags []string `json:"tags"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifInvocation struct {
		ExecutionSuccessful bool `json:"executionSuccessful"`
		// ToolExecutionNotifications say which rules were skipped and why.
		ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	}
	sarifNotification struct {
		Level          string        `json:"level"`
		Message        sarifText     `json:"message"`
		AssociatedRule *sarifRuleRef `json:"associatedRule,omitempty"`
	}
	sarifRuleRef struct {
		ID    string `json:"id"`
		Index *int   `json:"index,omitempty"`
	}
	sarifResult struct {
		RuleID              string            `json:"ruleId"`
		RuleIndex           *int              `json:"ruleIndex,omitempty"`
		Level               string            `json:"level"`
		Message             sarifText         `json:"message"`
		Locations           []sarifLocation   `json:"locations"`
		PartialFingerprints map[string]string `json:"partialFingerprints"`
		// BaselineState is "new" or "unchanged" (the base has it too)
		// when the target has a base.
		BaselineState string            `json:"baselineState,omitempty"`
		Properties    *sarifResultProps `json:"properties,omitempty"`
	}
	sarifResultProps struct {
		// Path is the finding's absolute path in the target, as given.
		Path    string `json:"path,omitempty"`
		Package string `json:"package,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	}
	sarifPhysicalLocation struct {
		ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
		Region           sarifRegion           `json:"region"`
	}
	sarifArtifactLocation struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine int `json:"startLine"`
	}
)

// WriteSARIF writes the result as a SARIF 2.1.0 log that GitHub code
// scanning accepts: one run whose driver lists every rule (not only those
// that found something, so that alerts show their rule's help) and one
// result per finding. version is oslayer's version; it is also given as
// the semanticVersion when it is a semantic version. The output depends
// only on res and version.
func WriteSARIF(w io.Writer, res *Result, version string) error {
	rules := Rules()
	index := make(map[string]int, len(rules))
	driver := sarifDriver{
		Name:            "oslayer",
		InformationURI:  sarifToolURI,
		Version:         version,
		SemanticVersion: semanticVersion(version),
		Rules:           make([]sarifRule, 0, len(rules)),
	}
	for i, r := range rules {
		index[r.ID] = i
		full := r.Help
		if full == "" {
			full = r.Description
		}
		driver.Rules = append(driver.Rules, sarifRule{
			ID:                   r.ID,
			Name:                 r.ID,
			ShortDescription:     sarifText{r.Description},
			FullDescription:      sarifText{full},
			Help:                 sarifText{full},
			DefaultConfiguration: sarifRuleConfig{sarifLevel(r.Level)},
			Properties:           sarifRuleProps{Tags: []string{r.Source}},
		})
	}
	ruleIndex := func(id string) *int {
		if i, ok := index[id]; ok {
			return &i
		}
		return nil
	}

	inv := sarifInvocation{ExecutionSuccessful: true}
	for _, c := range res.Checks {
		if c.Status != Skipped {
			continue
		}
		msg := "rule " + c.Rule + " skipped"
		if c.Reason != "" {
			msg += ": " + c.Reason
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level:          "note",
			Message:        sarifText{msg},
			AssociatedRule: &sarifRuleRef{ID: c.Rule, Index: ruleIndex(c.Rule)},
		})
	}

	targetURI := sarifTargetURI(res)
	results := make([]sarifResult, 0, len(res.Findings))
	for _, f := range res.Findings {
		uri := targetURI
		if f.Path != "" {
			uri = sarifPathURI(f.Path)
		}
		msg := f.Message
		if f.Package != "" {
			msg = "[" + f.Package + "] " + msg
		}
		var props *sarifResultProps
		if f.Path != "" || f.Package != "" {
			props = &sarifResultProps{Path: f.Path, Package: f.Package}
		}
		results = append(results, sarifResult{
			RuleID:    f.Rule,
			RuleIndex: ruleIndex(f.Rule),
			Level:     sarifLevel(f.Level),
			Message:   sarifText{msg},
			// GitHub rejects a result without a physical location and
			// reads region.startLine as required; the files of an image
			// are not text to point into, so the region is the whole
			// artifact's first line, as other image scanners write it.
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysicalLocation{
				ArtifactLocation: sarifArtifactLocation{URI: uri},
				Region:           sarifRegion{StartLine: 1},
			}}},
			PartialFingerprints: map[string]string{sarifFingerprint: sarifFingerprintOf(f)},
			BaselineState:       sarifBaseline(f.Baseline),
			Properties:          props,
		})
	}

	doc := sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool:        sarifTool{Driver: driver},
			Invocations: []sarifInvocation{inv},
			Results:     results,
			// The target goes in the run's properties, not in
			// automationDetails: GitHub takes automationDetails.id as the
			// analysis category, and an image reference changes with
			// every tag, which would orphan the previous run's alerts.
			// Users linting several images set the category when they
			// upload (upload-sarif's category input).
			Properties: &sarifRunProps{
				Target: res.Target, Mode: res.Mode, Base: res.Base, BaseFrom: res.BaseFrom, Notes: res.Notes,
			},
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing SARIF: %w", err)
	}
	return nil
}

// sarifBaseline maps a baseline to SARIF's baselineState.
func sarifBaseline(b Baseline) string {
	switch b {
	case New:
		return "new"
	case Inherited:
		return "unchanged"
	}
	return ""
}

// sarifLevel maps a level to SARIF's: fatal is an error, info a note.
func sarifLevel(l Level) string {
	switch l {
	case Fatal:
		return "error"
	case Warning:
		return "warning"
	default:
		return "note"
	}
}

// semverRE is the regular expression semver.org gives for SemVer 2.0.0.
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// semanticVersion returns version as a SemVer 2.0.0 string (Go's leading
// "v" dropped), or "" if it is not one (as "devel" builds are not).
func semanticVersion(version string) string {
	v := strings.TrimPrefix(version, "v")
	if semverRE.MatchString(v) {
		return v
	}
	return ""
}

// sarifFingerprintOf identifies a finding across runs: the same rule,
// path and message give the same fingerprint, whatever the run's order,
// target tag or oslayer version.
func sarifFingerprintOf(f Finding) string {
	h := sha256.New()
	for _, s := range []string{f.Rule, f.Path, f.Message} {
		// Length-prefixed, so that no two field lists collide.
		fmt.Fprintf(h, "%d:%s\n", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sarifPathURI turns an absolute path in the target into the relative URI
// GitHub wants: "/usr/bin/yes" becomes "usr/bin/yes". The root itself is
// ".".
func sarifPathURI(p string) string {
	p = strings.TrimLeft(path.Clean("/"+p), "/")
	if p == "" {
		return "."
	}
	return escapeURIPath(p)
}

// sarifTargetURI is the location of findings that name no path: the
// target itself. GitHub wants a relative URI, ideally of a file in the
// repository; for an image in a local layout or archive ("oci:build:tag")
// that is its path ("build"), for a registry image its repository without
// tag or digest ("quay.io/fedora/fedora-bootc"), as image scanners report
// it. The path of a rootfs is the build machine's, not the repository's:
// its findings are located at the repository's root, ".".
func sarifTargetURI(res *Result) string {
	if res.Mode == "rootfs" || res.Target == "" {
		return "."
	}
	ref, err := layer.ParseReference(res.Target)
	if err != nil {
		return "."
	}
	name := ref.Name
	if ref.Transport == layer.TransportDocker {
		name, _, _ = strings.Cut(name, "@")
		if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
			name = name[:i]
		}
	}
	name = strings.TrimLeft(path.Clean("/"+name), "/")
	if name == "" {
		return "."
	}
	return escapeURIPath(name)
}

// escapeURIPath percent-encodes every byte of p that is not an RFC 3986
// path character, keeping "/" as the separator. ":" is encoded too, so
// that a first segment such as "a:b" cannot read as a URI scheme.
func escapeURIPath(p string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~!$&'()*+,;=@/", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}
