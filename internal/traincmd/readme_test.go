package traincmd

import (
	"flag"
	"os"
	"strings"
	"testing"
)

// TestREADMEFlags keeps the README's table of the train command's flags true: every flag
// the command has is in the table, every row names a flag it has, and each default the
// table gives is the flag's own.
func TestREADMEFlags(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "### Flags of `cmd/train`")
	if start < 0 {
		t.Fatal("README.md has no section \"### Flags of `cmd/train`\"")
	}
	rows := map[string]string{} // flag → default column
	for _, line := range strings.Split(text[start:], "\n")[1:] {
		if strings.HasPrefix(line, "#") {
			break
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`-") {
			continue
		}
		def := strings.Trim(strings.TrimSpace(cells[2]), "`")
		for _, name := range strings.Split(cells[1], ",") {
			rows[strings.Trim(strings.TrimSpace(name), "`-")] = def
		}
	}
	fs := newFlagSet(&options{})
	fs.VisitAll(func(f *flag.Flag) {
		def, ok := rows[f.Name]
		if !ok {
			t.Errorf("README's flag table lacks -%s", f.Name)
			return
		}
		switch {
		case def == "" || strings.Contains(def, " ") || strings.Contains(def, "<"):
			// No default, or one described in words (`runs/<dataset>`, "all but the targets").
		case f.DefValue != def && !(f.DefValue == "false" && def == "false"):
			t.Errorf("README gives -%s the default %q, the command %q", f.Name, def, f.DefValue)
		}
	})
	for name := range rows {
		if fs.Lookup(name) == nil {
			t.Errorf("README's flag table names -%s, which the command does not have", name)
		}
	}
}
