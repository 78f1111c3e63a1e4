// Package version reports the version of the mixgraph module a command was built from,
// as the Go toolchain recorded it: the module version for a command installed with
// `go install …@vX.Y.Z`, "(devel)" for one built in a checkout, with the commit and
// whether the work tree had changes when the toolchain saw a version-control checkout.
package version

import (
	"runtime"
	"runtime/debug"
)

// String returns "mixgraph <version> [<commit>[+changes]] <go version>".
func String() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "mixgraph (unknown version) " + runtime.Version()
	}
	return describe(bi)
}

func describe(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	s := "mixgraph " + v
	rev, modified := "", false
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.modified":
			modified = kv.Value == "true"
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += " " + rev
		if modified {
			s += "+changes"
		}
	}
	return s + " " + bi.GoVersion
}
