package xmltree

import (
	"errors"
	"strings"
	"testing"
)

// The one difference between the client's and the simulator's reading: an
// element in no namespace is EWS only in Lenient mode. Either EWS
// namespace matches in both, and a foreign namespace in neither.
func TestModeDecidesWhetherUnqualifiedIsEWS(t *testing.T) {
	doc := `<Subscribe xmlns:m="` + NSMessages + `" xmlns:t="` + NSTypes + `" xmlns:x="urn:other">` +
		`<m:PullSubscriptionRequest SubscribeToAllFolders="true"><t:Timeout> 5 </t:Timeout></m:PullSubscriptionRequest>` +
		`<Watermark>w1</Watermark><x:Watermark>foreign</x:Watermark></Subscribe>`
	for _, tc := range []struct {
		mode          Mode
		root          bool
		watermark     string
		watermarks    int
		pullTimeout   string
		allFoldersAtt string
	}{
		{Strict, false, "", 0, "5", "true"},
		{Lenient, true, "w1", 1, "5", "true"},
	} {
		root, err := Parse([]byte(doc), tc.mode)
		if err != nil {
			t.Fatal(err)
		}
		pull := root.Child("PullSubscriptionRequest")
		if got := root.Is("Subscribe"); got != tc.root {
			t.Errorf("mode %d: root.Is(Subscribe) = %v", tc.mode, got)
		}
		if got := root.ChildText("Watermark"); got != tc.watermark {
			t.Errorf("mode %d: Watermark = %q, want %q", tc.mode, got, tc.watermark)
		}
		if got := len(root.Children("Watermark")); got != tc.watermarks {
			t.Errorf("mode %d: %d Watermark children, want %d", tc.mode, got, tc.watermarks)
		}
		if got := pull.ChildText("Timeout"); got != tc.pullTimeout {
			t.Errorf("mode %d: Timeout = %q (trimmed), want %q", tc.mode, got, tc.pullTimeout)
		}
		if got := pull.Attribute("SubscribeToAllFolders"); got != tc.allFoldersAtt {
			t.Errorf("mode %d: attribute = %q", tc.mode, got)
		}
		if len(root.Elements()) != 3 {
			t.Errorf("mode %d: %d elements, want 3", tc.mode, len(root.Elements()))
		}
	}
}

// A missing element answers nothing instead of panicking, so that a query
// chain reads like the path it asks for.
func TestQueriesOnAbsentElements(t *testing.T) {
	var n *Node
	if n.Child("A").Child("B") != nil || n.ChildText("A") != "" || n.Attribute("Id") != "" ||
		n.Children("A") != nil || n.Elements() != nil || n.Is("A") || n.IsSoap("Body") {
		t.Error("a nil node answered something")
	}
}

func TestParseRefusesWhatIsNotOneDocument(t *testing.T) {
	for name, doc := range map[string]string{
		"empty":     ``,
		"two roots": `<a/><b/>`,
		"cut off":   "<a>\n<b>",
		"mismatch":  "<a>\n</b>",
		"too deep":  strings.Repeat("<a>", MaxDepth+1) + strings.Repeat("</a>", MaxDepth+1),
	} {
		_, err := Parse([]byte(doc), Lenient)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line < 1 {
			t.Errorf("%s: error %v, want a *SyntaxError with a line", name, err)
		}
	}
	if _, err := Parse([]byte(strings.Repeat("<a>", MaxDepth)+strings.Repeat("</a>", MaxDepth)), Lenient); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
}

func TestIndent(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"declaration and comment": {`<?xml version="1.0"?><a><!-- c --><b>x</b></a>`,
			"<?xml version=\"1.0\"?>\n<a>\n  <!-- c -->\n  <b>x</b>\n</a>"},
		"text then children": {`<a>t<b/></a>`, "<a>\n  t\n  <b/>\n</a>"},
		"escapes kept":       {`<a k="&lt;">1 &lt; 2</a>`, `<a k="&lt;">1 &lt; 2</a>`},
		"not XML":            {`<a><b></a`, `<a><b></a`},
		// RawToken does not match end tags: extra ones must not indent
		// below zero (strings.Repeat would panic).
		"stray end tags": {`<a/></b></c>text<!--x-->`, "<a/>\n</b>\n</c>\ntext\n<!--x-->"},
	} {
		if got := Indent([]byte(tc.in)); got != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", name, got, tc.want)
		}
	}
}
