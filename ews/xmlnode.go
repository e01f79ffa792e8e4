package ews

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// node is one XML element with its namespace resolved. Responses are small
// enough (one envelope at a time) that a tree per envelope is the simplest
// correct way to match elements by namespace and local name wherever a
// server puts them.
type node struct {
	Space, Local string
	Attr         []xml.Attr
	Text         string // the element's own character data, concatenated
	Kids         []*node
}

// isEWS reports whether ns is one of the two EWS namespaces. Servers are
// not consistent about m: versus t: for some elements (Notification,
// SubscriptionId under ErrorSubscriptionIds), so content elements are
// matched in either.
func isEWS(ns string) bool { return ns == NSMessages || ns == NSTypes }

// is reports whether n is the EWS element local (m: or t:).
func (n *node) is(local string) bool { return n != nil && n.Local == local && isEWS(n.Space) }

// isSoap reports whether n is the SOAP 1.1 element local.
func (n *node) isSoap(local string) bool { return n != nil && n.Local == local && n.Space == NSSoap }

// child returns the first EWS child named local, or nil.
func (n *node) child(local string) *node {
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

// children returns every EWS child named local.
func (n *node) children(local string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.Kids {
		if k.is(local) {
			out = append(out, k)
		}
	}
	return out
}

// text returns the trimmed text of the EWS child local ("" if absent).
func (n *node) text(local string) string {
	c := n.child(local)
	if c == nil {
		return ""
	}
	return strings.TrimSpace(c.Text)
}

// attr returns the value of the unqualified attribute local.
func (n *node) attr(local string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Name.Local == local && (a.Name.Space == "" || isEWS(a.Name.Space)) {
			return a.Value
		}
	}
	return ""
}

// find returns the first descendant (depth first, n included) for which
// match is true.
func (n *node) find(match func(*node) bool) *node {
	if n == nil {
		return nil
	}
	if match(n) {
		return n
	}
	for _, k := range n.Kids {
		if f := k.find(match); f != nil {
			return f
		}
	}
	return nil
}

// DefaultMaxEnvelope is the largest single SOAP envelope the readers accept.
const DefaultMaxEnvelope = 16 << 20

// ErrEnvelopeTooLarge is returned when one envelope exceeds the size limit.
var ErrEnvelopeTooLarge = errors.New("envelope larger than the size limit")

// limitReader feeds the XML decoder byte by byte (it implements
// io.ByteReader, so the decoder adds no buffer of its own) and counts the
// offset exactly; it refuses to go past max, which bounds the memory one
// envelope can take.
type limitReader struct {
	r     *bufio.Reader
	off   int64
	max   int64
	limit int64
	// capture, when non-nil, collects every byte read (the raw envelope).
	capture *[]byte
}

func (l *limitReader) ReadByte() (byte, error) {
	if l.off >= l.max {
		return 0, fmt.Errorf("%w (%d bytes)", ErrEnvelopeTooLarge, l.limit)
	}
	b, err := l.r.ReadByte()
	if err == nil {
		l.off++
		if l.capture != nil {
			*l.capture = append(*l.capture, b)
		}
	}
	return b, err
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.off >= l.max {
		return 0, fmt.Errorf("%w (%d bytes)", ErrEnvelopeTooLarge, l.limit)
	}
	if rem := l.max - l.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := l.r.Read(p)
	l.off += int64(n)
	if l.capture != nil {
		*l.capture = append(*l.capture, p[:n]...)
	}
	return n, err
}

// activityReader reports every read that returned data.
type activityReader struct {
	r  io.Reader
	fn func()
}

func (a activityReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 && a.fn != nil {
		a.fn()
	}
	return n, err
}

// elementReader reads a sequence of top-level XML elements (one document,
// or the many envelopes of a GetStreamingEvents body) one at a time.
type elementReader struct {
	lr  *limitReader
	dec *xml.Decoder
	// seen is set once any element was read.
	seen bool
}

func newElementReader(r io.Reader, limit int64) *elementReader {
	if limit <= 0 {
		limit = DefaultMaxEnvelope
	}
	lr := &limitReader{r: bufio.NewReaderSize(r, 32<<10), limit: limit}
	lr.max = limit
	dec := xml.NewDecoder(lr)
	return &elementReader{lr: lr, dec: dec}
}

// captureRaw makes next keep the raw bytes of each element (see raw).
func (er *elementReader) captureRaw() { er.lr.capture = new([]byte) }

// raw returns a copy of the bytes of the element next returned last
// (whitespace before it trimmed); nil without captureRaw.
func (er *elementReader) raw() []byte {
	if er.lr.capture == nil {
		return nil
	}
	b := bytes.TrimLeft(*er.lr.capture, " \t\r\n\ufeff")
	return append([]byte(nil), b...)
}

// Offset is the number of input bytes consumed so far.
func (er *elementReader) Offset() int64 { return er.lr.off }

// next returns the next top-level element, io.EOF at a clean end of input,
// or an error (syntax, cut off, oversize, text outside elements).
func (er *elementReader) next() (*node, error) {
	er.lr.max = er.lr.off + er.lr.limit
	if er.lr.capture != nil {
		*er.lr.capture = (*er.lr.capture)[:0]
	}
	for {
		tok, err := er.dec.Token()
		if err != nil {
			return nil, er.wrapErr(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n, err := er.build(t)
			if err != nil {
				return nil, er.wrapErr(err)
			}
			er.seen = true
			return n, nil
		case xml.CharData:
			if len(bytes.TrimSpace(bytes.TrimPrefix(t, []byte("\ufeff")))) > 0 {
				return nil, errors.New("text outside any XML element: not XML")
			}
		case xml.EndElement:
			return nil, errors.New("unexpected end element")
		}
		// ProcInst, Comment, Directive between elements: skip.
	}
}

func (er *elementReader) wrapErr(err error) error {
	if err == io.EOF {
		return io.EOF
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		if se.Msg == "unexpected EOF" {
			return errors.New("input is cut off (unexpected end inside an element)")
		}
		return fmt.Errorf("not well-formed XML: %s", se.Msg)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("input is cut off (unexpected end inside an element)")
	}
	return err
}

// build reads the rest of the element that start opened.
func (er *elementReader) build(start xml.StartElement) (*node, error) {
	root := &node{Space: start.Name.Space, Local: start.Name.Local, Attr: start.Attr}
	stack := []*node{root}
	var text []byte
	for {
		tok, err := er.dec.Token()
		if err != nil {
			if err == io.EOF {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		cur := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			if len(text) > 0 {
				cur.Text += string(text)
				text = text[:0]
			}
			k := &node{Space: t.Name.Space, Local: t.Name.Local, Attr: t.Attr}
			cur.Kids = append(cur.Kids, k)
			stack = append(stack, k)
		case xml.CharData:
			text = append(text, t...)
		case xml.EndElement:
			if len(text) > 0 {
				cur.Text += string(text)
				text = text[:0]
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return root, nil
			}
		}
	}
}
