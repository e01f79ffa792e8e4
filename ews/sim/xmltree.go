package sim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ewsmon/ewsmon/ews"
)

// xnode is one element of a parsed request, its namespace resolved.
type xnode struct {
	Space, Local string
	Attr         []xml.Attr
	Text         string
	Kids         []*xnode
}

// Request elements are matched by local name in the EWS namespaces. Clients
// also send elements without any namespace (Microsoft's own push sample has
// an unqualified Subscribe), and Exchange accepts those, so an empty
// namespace matches too.
func ewsNS(ns string) bool { return ns == ews.NSMessages || ns == ews.NSTypes || ns == "" }

func (n *xnode) is(local string) bool { return n != nil && n.Local == local && ewsNS(n.Space) }

func (n *xnode) child(local string) *xnode {
	if n == nil {
		return nil
	}
	for _, k := range n.Kids {
		if k.is(local) {
			return k
		}
	}
	return nil
}

func (n *xnode) children(local string) []*xnode {
	if n == nil {
		return nil
	}
	var out []*xnode
	for _, k := range n.Kids {
		if k.is(local) {
			out = append(out, k)
		}
	}
	return out
}

func (n *xnode) text(local string) string {
	c := n.child(local)
	if c == nil {
		return ""
	}
	return strings.TrimSpace(c.Text)
}

func (n *xnode) attr(local string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Name.Local == local && (a.Name.Space == "" || ewsNS(a.Name.Space)) {
			return a.Value
		}
	}
	return ""
}

// xmlError is a request that is not well-formed XML, with its position.
type xmlError struct {
	Line int
	Err  error
}

func (e *xmlError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

const maxDepth = 64

// parseXML reads one XML document into a tree.
func parseXML(data []byte) (*xnode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			return nil, &xmlError{Line: line, Err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xnode{Space: t.Name.Space, Local: t.Name.Local, Attr: append([]xml.Attr(nil), t.Attr...)}
			if len(stack) == 0 {
				if root != nil {
					line, _ := d.InputPos()
					return nil, &xmlError{Line: line, Err: errors.New("more than one root element")}
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			}
			if len(stack) >= maxDepth {
				line, _ := d.InputPos()
				return nil, &xmlError{Line: line, Err: errors.New("elements nested too deeply")}
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(t)
			}
		}
	}
	if root == nil {
		return nil, &xmlError{Line: 1, Err: errors.New("no root element")}
	}
	if len(stack) != 0 {
		line, _ := d.InputPos()
		return nil, &xmlError{Line: line, Err: errors.New("unexpected end of document")}
	}
	return root, nil
}

// esc escapes text for element content and attribute values.
func esc(s string) string {
	if !strings.ContainsAny(s, "<>&'\"\r\n\t") {
		return s // ids, names and numbers almost always
	}
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
