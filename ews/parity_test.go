package ews

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// referenceTrees parses doc with encoding/xml into the same node trees
// (whitespace-only text and xmlns attributes dropped).
func referenceTrees(t *testing.T, doc []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var out []string
	var stack []*node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("encoding/xml: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &node{Space: tk.Name.Space, Local: tk.Name.Local}
			for _, a := range tk.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				n.Attr = append(n.Attr, a)
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			}
			stack = append(stack, n)
		case xml.CharData:
			if len(stack) > 0 && len(bytes.TrimSpace(tk)) > 0 {
				stack[len(stack)-1].Text += string(tk)
			}
		case xml.EndElement:
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				var b strings.Builder
				canonExact(n, &b, 0)
				out = append(out, b.String())
			}
		}
	}
}

// canonExact is canon without trimming text.
func canonExact(n *node, b *strings.Builder, depth int) {
	b.WriteString(strings.Repeat(" ", depth) + "{" + n.Space + "}" + n.Local)
	for _, a := range n.Attr {
		b.WriteString(" {" + a.Name.Space + "}" + a.Name.Local + "=" + a.Value)
	}
	b.WriteString(" text=" + n.Text + "\n")
	for _, k := range n.Kids {
		canonExact(k, b, depth+1)
	}
}

// The fast reader builds exactly the trees encoding/xml builds, for every
// sample and test document.
func TestReaderMatchesEncodingXML(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(samplesDir, "*.xml"))
	more, _ := filepath.Glob("testdata/*.xml")
	files = append(files, more...)
	docs := map[string][]byte{
		"sync": []byte(syncWithUpdateDelete), "getitem": []byte(getItemResponse), "getfolder": []byte(getFolderResponse),
		"busy": []byte(serverBusyFault), "schema": []byte(schemaFault),
		"entities":          []byte(`<a xmlns="urn:x" xmlns:p="urn:p" p:k="&lt;&#65;&#x42;&quot;&apos;&amp;"><!-- c --><b>x &gt; y<![CDATA[<raw&>]]>z</b><?pi x?><p:c/><d xml:lang="en"> t </d></a>`),
		"nested default ns": []byte(`<a xmlns="urn:a"><b xmlns="urn:b"><c/></b><d/></a>`),
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(f)] = b
	}
	for name, doc := range docs {
		want := referenceTrees(t, doc)
		var got []string
		er := newElementReader(bytes.NewReader(doc), 0)
		for {
			n, err := er.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var b strings.Builder
			canonExact(n, &b, 0)
			got = append(got, b.String())
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s differs:\n--- fast\n%s\n--- encoding/xml\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

func TestReaderRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"unquoted attribute":  `<a x=1/>`,
		"undeclared prefix":   `<p:a/>`,
		"bad entity":          `<a>&nbsp;</a>`,
		"bad char ref":        `<a>&#0;</a>`,
		"doctype":             `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`,
		"lt in attribute":     `<a x="<"/>`,
		"end tag at top":      `</a>`,
		"wrong prefix on end": `<p:a xmlns:p="urn:p"></q:a>`,
		"latin1":              `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`,
		"attr without space":  `<a x="1"y="2"/>`,
		"unterminated":        `<a><b>`,
		"comment unclosed":    `<a><!-- x</a>`,
		"digit name":          `<1/>`,
		"two colons":          `<a:b:c xmlns:a="u"/>`,
		"dash name":           `<a -x="1"/>`,
	} {
		_, err := newElementReader(strings.NewReader(doc), 0).next()
		if err == nil {
			t.Errorf("%s: accepted %s", name, doc)
		}
	}
}

// An envelope of very many empty elements stays under the size limit but is
// refused before its tree grows without bound.
func TestReaderBoundsElementCount(t *testing.T) {
	if maxElements != 500_000 {
		t.Fatalf("maxElements = %d", maxElements)
	}
	defer func(m int) { maxElements = m }(maxElements)
	maxElements = 2000
	doc := "<a>" + strings.Repeat("<b/>", maxElements+10) + "</a>"
	_, err := newElementReader(strings.NewReader(doc), 0).next()
	if err == nil || !strings.Contains(err.Error(), "more than 2000 elements") {
		t.Fatalf("err = %v", err)
	}
	doc = "<a>" + strings.Repeat("<b/>", 1000) + "</a>"
	n, err := newElementReader(strings.NewReader(doc), 0).next()
	if err != nil || len(n.Kids) != 1000 {
		t.Fatalf("1000 elements: %v", err)
	}
}
