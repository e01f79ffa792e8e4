package xmltree

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
)

// Indent pretty-prints an XML document two spaces per level, for people to
// read (the detail view). It keeps the prefixes, namespace declarations
// and attributes as written (RawToken does no namespace rewriting), and
// puts <a>text</a> and <a/> on one line. Input that is not well-formed
// comes back as it was.
func Indent(raw []byte) string {
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict = false
	var in indenter
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return string(raw)
		}
		in.token(tok)
	}
	in.flush()
	return strings.TrimRight(in.b.String(), "\n")
}

// indenter writes tokens as indented lines. A start tag waits in pend
// until the next token says whether the element is a leaf.
type indenter struct {
	b     strings.Builder
	depth int
	pend  *openTag
}

type openTag struct {
	tag  string // "<p:name attr=...>"
	text string // the element's text, escaped, when it came first
}

func (in *indenter) token(tok xml.Token) {
	switch t := tok.(type) {
	case xml.ProcInst:
		in.flush()
		in.b.WriteString("<?" + t.Target + " " + string(t.Inst) + "?>\n")
	case xml.StartElement:
		in.flush()
		in.start(t)
	case xml.CharData:
		in.text(t)
	case xml.EndElement:
		in.end(t)
	case xml.Comment:
		in.flush()
		in.line(in.depth, "<!--"+string(t)+"-->")
	}
}

func (in *indenter) line(depth int, s string) {
	in.b.WriteString(strings.Repeat("  ", max(depth, 0)))
	in.b.WriteString(s)
	in.b.WriteByte('\n')
}

// flush writes a pending start tag (and its text) as an open element.
func (in *indenter) flush() {
	if in.pend == nil {
		return
	}
	in.line(in.depth-1, in.pend.tag)
	if in.pend.text != "" {
		in.line(in.depth, in.pend.text)
	}
	in.pend = nil
}

func (in *indenter) start(t xml.StartElement) {
	var tag strings.Builder
	tag.WriteString("<" + rawName(t.Name))
	for _, a := range t.Attr {
		tag.WriteString(" " + rawName(a.Name) + `="`)
		_ = xml.EscapeText(&tag, []byte(a.Value))
		tag.WriteString(`"`)
	}
	tag.WriteString(">")
	in.depth++
	in.pend = &openTag{tag: tag.String()}
}

func (in *indenter) text(t xml.CharData) {
	text := strings.TrimSpace(string(t))
	if text == "" {
		return
	}
	var esc strings.Builder
	_ = xml.EscapeText(&esc, []byte(text))
	if in.pend != nil && in.pend.text == "" {
		in.pend.text = esc.String()
		return
	}
	in.flush()
	in.line(in.depth, esc.String())
}

func (in *indenter) end(t xml.EndElement) {
	end := "</" + rawName(t.Name) + ">"
	switch {
	case in.pend == nil:
		in.line(in.depth-1, end)
	case in.pend.text != "":
		in.line(in.depth-1, in.pend.tag+in.pend.text+end)
	default:
		in.line(in.depth-1, strings.TrimSuffix(in.pend.tag, ">")+"/>")
	}
	in.pend = nil
	in.depth--
}

// rawName is a name as RawToken gives it: Space holds the prefix.
func rawName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}
