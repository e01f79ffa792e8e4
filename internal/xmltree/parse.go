package xmltree

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// SyntaxError is a document that is not well-formed XML, with the line
// where reading stopped.
type SyntaxError struct {
	Line int
	Err  error
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *SyntaxError) Unwrap() error { return e.Err }

// MaxDepth bounds how deeply Parse lets elements nest.
const MaxDepth = 64

// Parse reads one XML document (a single root element) into a tree whose
// queries match names by mode. Errors are *SyntaxError. It reads with
// encoding/xml and holds the whole document: for requests, not for the
// client's streams.
func Parse(data []byte, mode Mode) (*Node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	fail := func(err error) (*Node, error) {
		line, _ := d.InputPos()
		return nil, &SyntaxError{Line: line, Err: err}
	}
	var stack []*Node
	var root *Node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &Node{Space: t.Name.Space, Local: t.Name.Local, Attr: append([]xml.Attr(nil), t.Attr...), Mode: mode}
			switch {
			case len(stack) > 0:
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			case root != nil:
				return fail(errors.New("more than one root element"))
			default:
				root = n
			}
			if len(stack) >= MaxDepth {
				return fail(errors.New("elements nested too deeply"))
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
		return nil, &SyntaxError{Line: 1, Err: errors.New("no root element")}
	}
	if len(stack) != 0 {
		return fail(errors.New("unexpected end of document"))
	}
	return root, nil
}
