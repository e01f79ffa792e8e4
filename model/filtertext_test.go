package model_test

import (
	"strings"
	"testing"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// The filter's text form reads back into the same filter, and a wrong term
// is named.
func TestParseFilterRoundTrip(t *testing.T) {
	s := newState(model.Config{})
	for _, in := range []string{
		"",
		"lunch",
		"type:NewMail type:Moved",
		`folder:"Sent Items" quarterly report`,
		"type:Created folder:projects",
	} {
		f, err := model.ParseFilter(in, s.Tree())
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", in, err)
		}
		g, err := model.ParseFilter(f.String(), s.Tree())
		if err != nil {
			t.Fatalf("ParseFilter(%q) (String of %q): %v", f.String(), in, err)
		}
		if g.String() != f.String() || g.FolderId != f.FolderId || len(g.Types) != len(f.Types) || g.Text != f.Text {
			t.Errorf("%q: String %q reads back as %+v, want %+v", in, f.String(), g, f)
		}
	}
	f, _ := model.ParseFilter(`folder:"sent items" type:NewMailEvent`, s.Tree())
	if f.FolderId != sent || !f.Types[ews.NewMailEvent] || f.String() != `type:NewMail folder:"Sent Items"` {
		t.Errorf("parsed %+v, String %q", f, f.String())
	}
	for in, want := range map[string]string{"type:Nope": `unknown event type "Nope"`, "folder:Nowhere": `no folder named "Nowhere"`} {
		if _, err := model.ParseFilter(in, s.Tree()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseFilter(%q) = %v, want %q", in, err, want)
		}
	}
}
