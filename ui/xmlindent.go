package ui

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
)

// indentXML pretty-prints an XML document two spaces per level, keeping the
// prefixes and attributes as written (RawToken does no namespace
// rewriting). Input that is not well-formed comes back as it was.
func indentXML(raw []byte) string {
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict = false
	var b strings.Builder
	depth := 0
	// pending holds a start tag not yet closed, so <a>text</a> and <a/>
	// stay on one line.
	type open struct {
		tag  string
		text string
	}
	var pend *open
	flush := func() {
		if pend != nil {
			b.WriteString(strings.Repeat("  ", depth-1))
			b.WriteString(pend.tag)
			if pend.text != "" {
				b.WriteByte('\n')
				b.WriteString(strings.Repeat("  ", depth))
				b.WriteString(pend.text)
			}
			b.WriteByte('\n')
			pend = nil
		}
	}
	name := func(n xml.Name) string {
		if n.Space != "" {
			return n.Space + ":" + n.Local
		}
		return n.Local
	}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return string(raw)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			flush()
			b.WriteString("<?" + t.Target + " " + string(t.Inst) + "?>\n")
		case xml.StartElement:
			flush()
			var tag strings.Builder
			tag.WriteString("<" + name(t.Name))
			for _, a := range t.Attr {
				tag.WriteString(" " + name(a.Name) + `="`)
				xml.EscapeText(&tag, []byte(a.Value))
				tag.WriteString(`"`)
			}
			tag.WriteString(">")
			depth++
			pend = &open{tag: tag.String()}
		case xml.CharData:
			text := strings.TrimSpace(string(t))
			if text == "" {
				continue
			}
			var esc strings.Builder
			xml.EscapeText(&esc, []byte(text))
			if pend != nil && pend.text == "" {
				pend.text = esc.String()
			} else {
				flush()
				b.WriteString(strings.Repeat("  ", depth) + esc.String() + "\n")
			}
		case xml.EndElement:
			end := "</" + name(t.Name) + ">"
			if pend != nil {
				// Leaf: <a>text</a> or <a/> on one line.
				if pend.text != "" {
					b.WriteString(strings.Repeat("  ", depth-1) + pend.tag + pend.text + end + "\n")
				} else {
					b.WriteString(strings.Repeat("  ", depth-1) + strings.TrimSuffix(pend.tag, ">") + "/>\n")
				}
				pend = nil
			} else {
				b.WriteString(strings.Repeat("  ", max(depth-1, 0)) + end + "\n")
			}
			depth--
		case xml.Comment:
			flush()
			b.WriteString(strings.Repeat("  ", depth) + "<!--" + string(t) + "-->\n")
		}
	}
	flush()
	return strings.TrimRight(b.String(), "\n")
}
