package main

import (
	"fmt"
	"io"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/alecthomas/kong"
)

// buildDate and buildCommit are set by scripts/build-static through -ldflags "-X main.buildDate=...
// -X main.buildCommit=...". In a plain `go build` they are empty: the commit's date stands for the
// build date, and the commit is the one the go command stamps (absent when it does not stamp,
// e.g. with GOFLAGS=-buildvcs=false).
var buildDate, buildCommit string

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints what version prints.
func (c *VersionCmd) Run(out io.Writer) error {
	_, err := io.WriteString(out, versionText())
	return err
}

// versionText is the version, commit and build date of this binary.
func versionText() string {
	bi, _ := debug.ReadBuildInfo()
	return formatVersion(bi, buildDate, buildCommit)
}

// serviceVersion is the module version alone, for the traces' service.version.
func serviceVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "unknown"
}

// formatVersion says the module version (a tag with `go install ...@vX.Y.Z`, "(devel)" for a
// build in a checkout), the commit with "modified" when the tree had changes, and the build's
// date (date, or the commit's time stamped by the go command).
func formatVersion(bi *debug.BuildInfo, date, linkedCommit string) string {
	version, commit, commitTime, modified := "unknown", "unknown", "", false
	if bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				commitTime = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if commit == "unknown" && linkedCommit != "" {
		commit = linkedCommit
	}
	if modified {
		commit += " (modified)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "recoup %s\n", version)
	fmt.Fprintf(&b, "commit  %s\n", commit)
	switch {
	case date != "":
		fmt.Fprintf(&b, "built   %s\n", date)
	case commitTime != "":
		fmt.Fprintf(&b, "built   from the commit of %s\n", commitTime)
	default:
		fmt.Fprintf(&b, "built   unknown date\n")
	}
	fmt.Fprintf(&b, "go      %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return b.String()
}

// versionFlag is --version: it prints the version and exits.
type versionFlag bool

// BeforeReset prints the version and exits before any required argument is checked.
func (v versionFlag) BeforeReset(app *kong.Kong) error {
	_, _ = io.WriteString(app.Stdout, versionText())
	app.Exit(0)
	return nil
}

// helpPrinter is kong's help, without the global flags (--database-url, --log-level) on the
// commands that do not use them: a command uses them when its Run method takes *Globals.
func helpPrinter(options kong.HelpOptions, ctx *kong.Context) error {
	if sel := ctx.Selected(); sel != nil && !usesGlobals(sel) {
		var hidden []*kong.Flag
		for _, f := range ctx.Model.Flags {
			if !f.Hidden && globalFlag(f.Name) {
				f.Hidden = true
				hidden = append(hidden, f)
			}
		}
		defer func() {
			for _, f := range hidden {
				f.Hidden = false
			}
		}()
	}
	return kong.DefaultHelpPrinter(options, ctx)
}

// globalFlag reports whether name is one of Globals' flags.
func globalFlag(name string) bool {
	t := reflect.TypeFor[Globals]()
	for i := range t.NumField() {
		if n, _, _ := strings.Cut(t.Field(i).Tag.Get("name"), ","); n == name {
			return true
		}
	}
	return false
}

// usesGlobals reports whether a command's Run method takes *Globals.
func usesGlobals(n *kong.Node) bool {
	m := n.Target.Addr().MethodByName("Run")
	if !m.IsValid() {
		return true // a group of commands: its help lists commands that may
	}
	g := reflect.TypeFor[*Globals]()
	for i := range m.Type().NumIn() {
		if m.Type().In(i) == g {
			return true
		}
	}
	return false
}
