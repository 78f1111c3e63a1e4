package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	cases := []struct {
		bi   debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.2.0"}}, "mixgraph v0.2.0 go1.26.8"},
		{debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}, "mixgraph (devel) 0123456789ab+changes go1.26.8"},
		{debug.BuildInfo{GoVersion: "go1.26.8"}, "mixgraph (devel) go1.26.8"},
	}
	for _, c := range cases {
		if got := describe(&c.bi); got != c.want {
			t.Errorf("describe = %q, want %q", got, c.want)
		}
	}
	if s := String(); !strings.HasPrefix(s, "mixgraph ") || strings.Contains(s, "\n") {
		t.Errorf("String() = %q", s)
	}
}
