package ews

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ewsmon/ewsmon/internal/xmltree"
)

// This file is a small XML reader made for EWS traffic: it reads a stream
// of top-level elements (one response, or the many envelopes of a
// GetStreamingEvents body), returns each as a tree with namespaces
// resolved as soon as its end tag arrives, and never holds more than one
// element (bounded by a size limit) plus one read of look-ahead. It checks
// well-formedness (matching tags, quoted attributes, entities, declared
// prefixes) and rejects DTDs. It exists because encoding/xml's Token costs
// about ten times more per event; parity_test.go checks that both build the
// same trees from every sample.

// DefaultMaxEnvelope is the largest single SOAP envelope the readers accept.
const DefaultMaxEnvelope = 16 << 20

// ErrEnvelopeTooLarge is returned (wrapped, errors.Is) when one envelope
// exceeds the size limit.
var ErrEnvelopeTooLarge = errors.New("envelope larger than the size limit")

// sizeError is ErrEnvelopeTooLarge with the limit, in one sentence.
type sizeError struct{ limit int64 }

func (e *sizeError) Error() string {
	return "an envelope exceeds the " + sizeText(e.limit) + " envelope limit"
}
func (e *sizeError) Is(target error) bool { return target == ErrEnvelopeTooLarge }

// sizeText writes a byte count as people say it: "16 MiB", "64 KiB",
// "1000 bytes".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

const readChunk = 32 << 10

// maxElements bounds the elements of one envelope, so that the tree of a
// 16 MiB envelope of empty elements cannot take gigabytes.
var maxElements = 500_000 // a variable for tests

// bytesPerElement scales the element bound to the envelope limit: a tree
// node costs about 120 bytes (the node and the parent's pointer to it), so
// an envelope's tree takes at most about as much memory as the envelope's
// own bytes: 131072 elements for 16 MiB. That holds any real answer
// ewsmon asks for (a SyncFolderHierarchy of 10,000 folders, with the
// properties ewsmon requests, is about 90,000 elements) and keeps the reader's peak memory near twice the
// limit rather than four times it.
const bytesPerElement = 128

// elementBound is the element limit for an envelope limit.
func elementBound(limit int64) int {
	return int(min(int64(maxElements), max(limit/bytesPerElement, 4096)))
}

// maxSlab is the largest slab of nodes allocated at once.
const maxSlab = 4096

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

// elementReader reads a sequence of top-level XML elements.
type elementReader struct {
	r     io.Reader
	buf   []byte // buf[off:] is unconsumed input
	off   int
	base  int64 // input offset of buf[0]
	eof   bool
	rerr  error // read error other than EOF
	limit int64
	maxEl int   // element bound (elementBound(limit))
	err   error // sticky parse error

	closeTag []byte // awaitEnd's "</root" (endBuffered)

	seen    bool   // an element was read
	keepRaw bool   // keep the raw bytes of each element
	lastRaw []byte // raw bytes of the last element

	intern  map[string]string
	scratch []byte
	ns      []nsBinding
	pool    []node // the current slab of nodes
	used    int    // nodes used in pool
	count   int    // nodes of the element being read
	root    *node  // of the element being read
	open    []openElem
	attrs   []rawAttr // of the start tag being read
}

type nsBinding struct{ prefix, uri string }

const nsXML = xmltree.NSXML

func newElementReader(r io.Reader, limit int64) *elementReader {
	if limit <= 0 {
		limit = DefaultMaxEnvelope
	}
	return &elementReader{r: r, limit: limit, maxEl: elementBound(limit), intern: make(map[string]string, 64)}
}

// newBytesReader reads the elements of b, which it uses as its buffer
// (no copy: b must not change while the reader is used).
func newBytesReader(b []byte, limit int64) *elementReader {
	er := newElementReader(nil, limit)
	er.buf, er.eof = b, true
	return er
}

// release drops the buffer and node slabs (after a sticky error, when the
// reader will not be used again).
func (er *elementReader) release() {
	er.buf, er.pool, er.open, er.attrs, er.lastRaw, er.scratch = nil, nil, nil, nil, nil, nil
	er.root = nil
	er.used = 0
}

// Offset is the number of input bytes consumed so far.
func (er *elementReader) Offset() int64 { return er.base + int64(er.off) }

// captureRaw makes next keep the raw bytes of each element (see raw).
func (er *elementReader) captureRaw() { er.keepRaw = true }

// raw returns the bytes of the element next returned last (nil without
// captureRaw). The slice is the caller's.
func (er *elementReader) raw() []byte { return er.lastRaw }

// syntaxError is a well-formedness error at an input offset.
type syntaxError struct {
	off int64
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

var errCutOff = errors.New("input is cut off (unexpected end inside an element)")

func (er *elementReader) fail(i int, format string, args ...any) error {
	er.off = i
	er.err = &syntaxError{off: er.base + int64(i), msg: "not well-formed XML: " + fmt.Sprintf(format, args...)}
	return er.err
}

// fill reads more input; false at the end of input (or a read error, kept
// in rerr). An element in progress that reaches the limit is an error.
func (er *elementReader) fill() (bool, error) {
	if er.eof || er.rerr != nil {
		return false, nil
	}
	if int64(len(er.buf)) >= er.limit {
		return false, &sizeError{er.limit}
	}
	if cap(er.buf)-len(er.buf) < readChunk && int64(cap(er.buf)) < er.limit {
		// Doubling, but never past the limit: the buffer of an envelope
		// that reaches the limit is the limit, not the next power of two
		// (32 MiB for 16).
		nb := make([]byte, len(er.buf), min(int64(2*cap(er.buf)+readChunk), er.limit))
		copy(nb, er.buf)
		er.buf = nb
	}
	room := er.buf[len(er.buf):cap(er.buf)]
	if rem := er.limit - int64(len(er.buf)); int64(len(room)) > rem {
		room = room[:rem]
	}
	for tries := 0; ; tries++ {
		n, err := er.r.Read(room)
		er.buf = er.buf[:len(er.buf)+n]
		if err == io.EOF {
			er.eof = true
		} else if err != nil {
			er.rerr = err
		}
		if n > 0 {
			return true, nil
		}
		if err != nil || tries > 100 {
			if tries > 100 {
				er.rerr = io.ErrNoProgress
			}
			return false, nil
		}
	}
}

// endOfInput is the error for running out of input at i.
func (er *elementReader) endOfInput(i int, fillErr error) error {
	if fillErr != nil {
		er.off = i
		er.err = fillErr
		return fillErr
	}
	er.off = len(er.buf)
	if er.rerr != nil {
		er.err = er.rerr
		return er.rerr
	}
	er.err = errCutOff
	return errCutOff
}

// compact drops consumed input before a new element.
func (er *elementReader) compact() {
	if er.off == 0 {
		return
	}
	n := copy(er.buf, er.buf[er.off:])
	er.buf = er.buf[:n]
	er.base += int64(er.off)
	er.off = 0
}

// next returns the next top-level element, io.EOF at a clean end of input,
// or an error (syntax, cut off, oversize, text outside elements, read
// error). Errors are sticky. The tree is valid until the following call.
func (er *elementReader) next() (*node, error) {
	if er.err != nil {
		return nil, er.err
	}
	er.compact()
	i := 0
	// Prolog: whitespace, a byte-order mark, the XML declaration,
	// processing instructions and comments.
	for {
		if i >= len(er.buf) {
			more, ferr := er.fill()
			if !more {
				if ferr != nil {
					return nil, er.endOfInput(i, ferr)
				}
				er.off = len(er.buf)
				if er.rerr != nil {
					er.err = er.rerr
					return nil, er.err
				}
				return nil, io.EOF
			}
			continue
		}
		c := er.buf[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			i++
			continue
		}
		if c == 0xEF && er.base+int64(i) == 0 {
			if ok, err := er.need(i, 3); err != nil {
				return nil, err
			} else if ok && er.buf[i+1] == 0xBB && er.buf[i+2] == 0xBF {
				i += 3
				continue
			}
		}
		if c != '<' {
			er.off = i
			er.err = &syntaxError{off: er.base + int64(i), msg: "not XML: text outside any element"}
			return nil, er.err
		}
		if _, err := er.needOrCut(i, 2); err != nil {
			return nil, err
		}
		switch er.buf[i+1] {
		case '?':
			end, err := er.findTerm(i, i+2, "?>")
			if err != nil {
				return nil, err
			}
			if err := er.checkDecl(i, er.buf[i+2:end]); err != nil {
				return nil, err
			}
			i = end + 2
			continue
		case '!':
			if _, err := er.needOrCut(i, 4); err != nil {
				return nil, err
			}
			if string(er.buf[i:i+4]) != "<!--" {
				return nil, er.fail(i, "DTDs and declarations are not accepted")
			}
			end, err := er.findTerm(i, i+4, "-->")
			if err != nil {
				return nil, err
			}
			i = end + 3
			continue
		}
		break
	}
	return er.element(i)
}

// need makes sure buf[i:i+n] exists; false at the end of input.
func (er *elementReader) need(i, n int) (bool, error) {
	for i+n > len(er.buf) {
		more, err := er.fill()
		if err != nil {
			return false, er.endOfInput(i, err)
		}
		if !more {
			return false, nil
		}
	}
	return true, nil
}

// needOrCut is need where the end of input means a cut-off element.
func (er *elementReader) needOrCut(i, n int) (bool, error) {
	ok, err := er.need(i, n)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, er.endOfInput(i, nil)
	}
	return true, nil
}

// findTerm returns the index of term at or after from (the construct began
// at start).
func (er *elementReader) findTerm(start, from int, term string) (int, error) {
	for {
		if j := bytes.Index(er.buf[from:], []byte(term)); j >= 0 {
			return from + j, nil
		}
		from = max(from, len(er.buf)-len(term)+1)
		more, err := er.fill()
		if err != nil {
			return 0, er.endOfInput(start, err)
		}
		if !more {
			return 0, er.endOfInput(start, nil)
		}
	}
}

// findTagEnd returns the index of the '>' that ends the tag starting at
// start, skipping quoted attribute values.
//
// A quoted value (most of a tag: ids are 150-character attributes) is
// skipped with bytes.IndexByte, which searches many bytes at a time, then
// checked for '<' the same way (BenchmarkStreamDecode).
func (er *elementReader) findTagEnd(start int) (int, error) {
	var quote byte
	i := start + 1
	for {
		for i < len(er.buf) {
			if quote != 0 {
				rest := er.buf[i:]
				q := bytes.IndexByte(rest, quote)
				seg := rest
				if q >= 0 {
					seg = rest[:q]
				}
				if lt := bytes.IndexByte(seg, '<'); lt >= 0 {
					return 0, er.fail(i+lt, "'<' inside an attribute value")
				}
				if q < 0 {
					i = len(er.buf)
					break
				}
				i += q + 1
				quote = 0
				continue
			}
			c := er.buf[i]
			switch {
			case c == '"' || c == '\'':
				quote = c
			case c == '>':
				return i, nil
			case c == '<':
				return 0, er.fail(i, "unexpected '<' inside a tag")
			}
			i++
		}
		more, err := er.fill()
		if err != nil {
			return 0, er.endOfInput(start, err)
		}
		if !more {
			return 0, er.endOfInput(start, nil)
		}
	}
}

func (er *elementReader) checkDecl(i int, body []byte) error {
	if len(body) >= 3 && string(body[:3]) == "xml" && (len(body) == 3 || isSpace(body[3])) {
		if k := bytes.Index(body, []byte("encoding=")); k >= 0 {
			v := body[k+9:]
			if len(v) > 0 && (v[0] == '"' || v[0] == '\'') {
				if e := bytes.IndexByte(v[1:], v[0]); e >= 0 {
					enc := strings.ToLower(string(v[1 : 1+e]))
					if enc != "utf-8" && enc != "utf8" && enc != "us-ascii" && enc != "ascii" {
						return er.fail(i, "unsupported encoding %q (only UTF-8)", enc)
					}
				}
			}
		}
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// skipSpace drops leading white space.
func skipSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// validName reports whether b is a name with at most one colon, not
// starting with a digit, '-', '.' or ':'.
func validName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if c := b[0]; c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':' {
		return false
	}
	return bytes.Count(b, []byte{':'}) <= 1 && b[len(b)-1] != ':'
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':' || c >= 0x80
}

func (er *elementReader) str(b []byte) string {
	if s, ok := er.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(er.intern) >= 4096 {
		clear(er.intern)
	}
	er.intern[s] = s
	return s
}

// short interns short values (ChangeKeys, timestamps, response codes
// repeat from event to event) and copies long ones.
func (er *elementReader) short(b []byte) string {
	if len(b) <= 40 {
		return er.str(b)
	}
	return string(b)
}

// awaitEnd reads on until the input holds the whole element whose start
// tag begins at start (by a quick count of start and end tags that skips
// comments, CDATA, processing instructions and quoted attribute values),
// so that no tree and no copied text exists for an element that never
// ends: an endless envelope costs its buffer (the limit) and nothing
// more. It checks nothing else; at the end of input it returns nil and
// leaves the error to the parser, which says where the input went wrong.
func (er *elementReader) awaitEnd(start int) error {
	depth := 0
	var root []byte
	j := start
	for {
		if j >= len(er.buf) {
			if ok, err := er.more(start); !ok {
				return err
			}
			if root != nil && er.endBuffered(start, j, root) {
				return nil
			}
			continue
		}
		if er.buf[j] != '<' {
			if k := bytes.IndexByte(er.buf[j:], '<'); k >= 0 {
				j += k
			} else {
				j = len(er.buf)
			}
			continue
		}
		next, skipped, err := er.skipUncounted(start, j)
		if err != nil || next < 0 {
			return err
		}
		if skipped {
			j = next
			continue
		}
		// A tag. What cannot begin one means the input is not XML here:
		// stop counting and let the parser say so at once (an envelope
		// corrupted halfway must not swallow the envelopes after it).
		if j+1 < len(er.buf) && !tagStart(er.buf[j+1]) {
			return nil
		}
		k, err := er.quickTagEnd(start, j)
		if err != nil || k < 0 {
			return err
		}
		switch {
		case j+1 < len(er.buf) && er.buf[j+1] == '/':
			depth--
		case er.buf[k-1] != '/':
			name := tagName(er.buf[j+1 : k])
			if depth == 0 {
				root = name
				if er.endBuffered(start, k+1, root) {
					return nil
				}
			} else if bytes.Equal(name, root) {
				// The root's start tag again, inside it: the envelope
				// before it never ended (a stream cut or corrupted
				// mid-envelope and the next one begun). Not XML.
				return nil
			}
			depth++
		}
		j = k + 1
		if depth <= 0 {
			return nil
		}
	}
}

// endBuffered is awaitEnd's fast path: the buffer already holds the end
// tag of the root element begun at start (its name root), found from
// from with bytes.Index, and nothing before it that the tag count is
// there for — no comment, CDATA section or processing instruction (which
// could hide an end tag: "<!" or "<?"), no second start tag of the root
// (a cut envelope followed by the next one), no NUL. Then the element is
// whole and the count is not needed; otherwise the count goes on, as
// careful as before. Most of awaitEnd's time was the count
// (BenchmarkStreamReader).
func (er *elementReader) endBuffered(start, from int, root []byte) bool {
	er.closeTag = append(append(er.closeTag[:0], '<', '/'), root...)
	end := -1
	for at := from; ; {
		i := bytes.Index(er.buf[at:], er.closeTag)
		if i < 0 {
			return false
		}
		at += i + len(er.closeTag)
		if at < len(er.buf) && (er.buf[at] == '>' || isSpace(er.buf[at])) {
			end = at
			break
		}
		if at >= len(er.buf) {
			return false // the name may go on in the next read
		}
	}
	seg := er.buf[start+1 : end]
	if bytes.Contains(seg, []byte("<!")) || bytes.Contains(seg, []byte("<?")) || bytes.IndexByte(seg, 0) >= 0 {
		return false
	}
	open := er.closeTag[1:] // "<" + root, reusing the bytes: "/root" → "<root"
	open[0] = '<'
	for at := 0; ; {
		i := bytes.Index(seg[at:], open)
		if i < 0 {
			return true
		}
		at += i + len(open)
		if at >= len(seg) || seg[at] == '>' || seg[at] == '/' || isSpace(seg[at]) {
			return false // the root's start tag again
		}
	}
}

// more is fill for awaitEnd: false at the end of input, and an error only
// for an element (begun at start) that reached the size limit.
func (er *elementReader) more(start int) (bool, error) {
	ok, err := er.fill()
	if err != nil {
		return false, er.endOfInput(start, err)
	}
	return ok, nil
}

// skipUncounted steps over the comment, CDATA section or processing
// instruction at j (a '<'), if it is one, returning the index after it.
// next < 0 means the input ended first.
func (er *elementReader) skipUncounted(start, j int) (next int, skipped bool, err error) {
	for len(er.buf)-j < 9 && !er.eof && er.rerr == nil {
		if ok, err := er.more(start); !ok {
			return -1, false, err
		}
	}
	rest := er.buf[j:]
	term := ""
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		term = "-->"
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		term = "]]>"
	case bytes.HasPrefix(rest, []byte("<?")):
		term = "?>"
	default:
		return j, false, nil
	}
	from := j + 2
	for {
		if k := bytes.Index(er.buf[from:], []byte(term)); k >= 0 {
			return from + k + len(term), true, nil
		}
		from = max(from, len(er.buf)-len(term)+1)
		if ok, err := er.more(start); !ok {
			return -1, false, err
		}
	}
}

// quickTagEnd finds the '>' of the tag at j outside quotes. k < 0 means
// the input ended first, or is not XML there (a '<' or NUL inside a tag):
// the parser will say which.
func (er *elementReader) quickTagEnd(start, j int) (k int, err error) {
	var quote byte
	k = j + 1
	for {
		for k < len(er.buf) {
			if quote != 0 {
				// A quoted value: to its quote at once (see findTagEnd).
				rest := er.buf[k:]
				q := bytes.IndexByte(rest, quote)
				seg := rest
				if q >= 0 {
					seg = rest[:q]
				}
				if bytes.IndexByte(seg, '<') >= 0 || bytes.IndexByte(seg, 0) >= 0 {
					return -1, nil
				}
				if q < 0 {
					k = len(er.buf)
					break
				}
				k += q + 1
				quote = 0
				continue
			}
			c := er.buf[k]
			if c == '<' || c == 0 {
				return -1, nil
			}
			if c == '"' || c == '\'' {
				quote = c
			} else if c == '>' {
				return k, nil
			}
			k++
		}
		if ok, err := er.more(start); !ok {
			return -1, err
		}
	}
}

// tagStart: the byte after '<' can begin an end tag or a name.
func tagStart(c byte) bool {
	return c == '/' || c == '_' || c == ':' || c >= 0x80 || (c|0x20) >= 'a' && (c|0x20) <= 'z'
}

// tagName is the qualified name at the start of a tag's inside.
func tagName(b []byte) []byte {
	for i, c := range b {
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '/' || c == '>' {
			return b[:i]
		}
	}
	return b
}

// openElem is an element whose end tag has not come yet.
type openElem struct {
	n      *node
	prefix string // as written, to match the end tag
	ns     int    // namespace bindings its start tag pushed
}

// element reads the element whose start tag begins at i.
func (er *elementReader) element(i int) (*node, error) {
	start := i
	if err := er.awaitEnd(start); err != nil {
		return nil, err
	}
	nsBase := len(er.ns)
	defer func() { er.ns, er.open = er.ns[:nsBase], er.open[:0] }()
	er.used, er.count, er.root, er.open = 0, 0, nil, er.open[:0]
	for {
		if i >= len(er.buf) {
			if _, err := er.needOrCut(i, 1); err != nil {
				return nil, err
			}
		}
		var err error
		closed := false
		if er.buf[i] != '<' {
			i, err = er.charData(i)
		} else if _, err = er.needOrCut(i, 2); err == nil {
			switch er.buf[i+1] {
			case '/':
				i, closed, err = er.endTag(i)
			case '?':
				i, err = er.pastTerm(i, i+2, "?>")
			case '!':
				i, err = er.commentOrCDATA(i)
			default:
				i, closed, err = er.startElement(i)
			}
		}
		if err != nil {
			return nil, err
		}
		if closed {
			return er.done(er.root, start, i)
		}
	}
}

// alloc returns a cleared node. Nodes (and their Kids and Attr arrays) are
// reused from one element to the next: a tree is valid until the
// following call to next. Nodes come from slabs that are never
// reallocated (a growing slice would copy every node at each growth while
// the tree still points into the old arrays: five times the memory); the
// last slab is reused by the next element.
func (er *elementReader) alloc() *node {
	if er.used == len(er.pool) {
		er.pool = make([]node, min(max(2*len(er.pool), 16), maxSlab))
		er.used = 0
	}
	n := &er.pool[er.used]
	er.used++
	er.count++
	*n = node{Kids: n.Kids[:0], Attr: n.Attr[:0]}
	return n
}

// charData adds the character data at i, up to the next '<', to the open
// element.
func (er *elementReader) charData(i int) (int, error) {
	from := i
	for {
		if j := bytes.IndexByte(er.buf[from:], '<'); j >= 0 {
			end := from + j
			return end, er.appendText(er.open[len(er.open)-1].n, i, er.buf[i:end])
		}
		from = len(er.buf)
		more, err := er.fill()
		if err != nil {
			return 0, er.endOfInput(i, err)
		}
		if !more {
			return 0, er.endOfInput(i, nil)
		}
	}
}

// endTag closes the open element with the end tag at i; closed when that
// was the root.
func (er *elementReader) endTag(i int) (next int, closed bool, err error) {
	end, err := er.findTagEnd(i)
	if err != nil {
		return 0, false, err
	}
	if len(er.open) == 0 {
		return 0, false, er.fail(i, "unexpected end tag")
	}
	name := bytes.TrimRight(er.buf[i+2:end], " \t\r\n")
	top := er.open[len(er.open)-1]
	if !sameName(top, name) {
		return 0, false, er.fail(i, "element <%s> closed by </%s>", top.n.Local, name)
	}
	er.open = er.open[:len(er.open)-1]
	er.ns = er.ns[:len(er.ns)-top.ns]
	return end + 1, len(er.open) == 0, nil
}

// pastTerm returns the index after term, searched from from (the construct
// began at start).
func (er *elementReader) pastTerm(start, from int, term string) (int, error) {
	end, err := er.findTerm(start, from, term)
	if err != nil {
		return 0, err
	}
	return end + len(term), nil
}

// commentOrCDATA skips the comment at i, or adds the CDATA section at i to
// the open element's text; anything else after "<!" is refused.
func (er *elementReader) commentOrCDATA(i int) (int, error) {
	if _, err := er.needOrCut(i, 4); err != nil {
		return 0, err
	}
	if string(er.buf[i:i+4]) == "<!--" {
		return er.pastTerm(i, i+4, "-->")
	}
	if _, err := er.needOrCut(i, 9); err != nil {
		return 0, err
	}
	if string(er.buf[i:i+9]) != "<![CDATA[" {
		return 0, er.fail(i, "DTDs and declarations are not accepted")
	}
	if len(er.open) == 0 {
		return 0, er.fail(i, "CDATA outside any element")
	}
	end, err := er.findTerm(i, i+9, "]]>")
	if err != nil {
		return 0, err
	}
	er.open[len(er.open)-1].n.Text += string(er.buf[i+9 : end])
	return end + 3, nil
}

// startElement reads the start tag at i into a new node under the open
// element; closed when it is a self-closing root.
func (er *elementReader) startElement(i int) (next int, closed bool, err error) {
	end, err := er.findTagEnd(i)
	if err != nil {
		return 0, false, err
	}
	if er.count >= er.maxEl {
		return 0, false, er.fail(i, "more than %d elements in one envelope", er.maxEl)
	}
	n := er.alloc()
	prefix, pushed, self, err := er.startTag(n, i, er.buf[i+1:end])
	if err != nil {
		return 0, false, err
	}
	if er.root == nil {
		er.root = n
	} else {
		p := er.open[len(er.open)-1].n
		p.Kids = append(p.Kids, n)
	}
	if self {
		er.ns = er.ns[:len(er.ns)-pushed]
		return end + 1, len(er.open) == 0, nil
	}
	er.open = append(er.open, openElem{n: n, prefix: prefix, ns: pushed})
	return end + 1, false, nil
}

func (er *elementReader) done(root *node, start, end int) (*node, error) {
	if el := er.buf[start:end]; !utf8.Valid(el) {
		k := 0
		for k < len(el) {
			r, size := utf8.DecodeRune(el[k:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			k += size
		}
		return nil, er.fail(start+k, "invalid UTF-8")
	}
	er.off = end
	er.seen = true
	if er.keepRaw {
		er.lastRaw = append([]byte(nil), er.buf[start:end]...)
	}
	return root, nil
}

// sameName reports whether the end-tag name matches the open element's
// qualified name as written (prefix and local).
func sameName(o openElem, name []byte) bool {
	if k := bytes.IndexByte(name, ':'); k >= 0 {
		return string(name[k+1:]) == o.n.Local && string(name[:k]) == o.prefix
	}
	return string(name) == o.n.Local && o.prefix == ""
}

// rawAttr is an attribute as written, before its prefix is resolved.
type rawAttr struct{ prefix, local, value []byte }

// startTag fills n from the tag body (between '<' and '>'); it returns the
// element's prefix as written, how many namespace bindings it pushed and
// whether the tag is self-closing.
func (er *elementReader) startTag(n *node, at int, body []byte) (prefix string, pushed int, self bool, err error) {
	if len(body) > 0 && body[len(body)-1] == '/' {
		self = true
		body = body[:len(body)-1]
	}
	k := 0
	for k < len(body) && isNameByte(body[k]) {
		k++
	}
	if k == 0 {
		return "", 0, false, er.fail(at, "invalid element name")
	}
	qname := body[:k]
	if !validName(qname) {
		return "", 0, false, er.fail(at, "invalid element name %s", qname)
	}
	rest := body[k:]
	if len(rest) > 0 && !isSpace(rest[0]) {
		return "", 0, false, er.fail(at, "invalid character in element name")
	}
	pushed, err = er.attributes(at, rest)
	if err != nil {
		return "", pushed, false, err
	}
	if prefix, err = er.name(n, at, qname); err != nil {
		return "", pushed, false, err
	}
	if err := er.resolveAttrs(n, at); err != nil {
		return "", pushed, false, err
	}
	return prefix, pushed, self, nil
}

// attributes reads the attributes after the element name: namespace
// declarations are pushed (their count returned), the others kept in
// er.attrs for resolveAttrs.
func (er *elementReader) attributes(at int, rest []byte) (pushed int, err error) {
	er.attrs = er.attrs[:0]
	for {
		j := 0
		for j < len(rest) && isSpace(rest[j]) {
			j++
		}
		rest = rest[j:]
		if len(rest) == 0 {
			return pushed, nil
		}
		if j == 0 {
			return pushed, er.fail(at, "attributes must be separated by spaces")
		}
		var aname, val []byte
		if aname, val, rest, err = er.attribute(at, rest); err != nil {
			return pushed, err
		}
		var prefix, local []byte
		if c := bytes.IndexByte(aname, ':'); c >= 0 {
			prefix, local = aname[:c], aname[c+1:]
		} else {
			local = aname
		}
		switch {
		case prefix == nil && string(local) == "xmlns", string(prefix) == "xmlns":
			if prefix == nil {
				local = nil // the default namespace
			}
			v, err := er.decode(at, val)
			if err != nil {
				return pushed, err
			}
			er.ns = append(er.ns, nsBinding{er.str(local), er.str(v)})
			pushed++
		default:
			er.attrs = append(er.attrs, rawAttr{prefix, local, val})
		}
	}
}

// attribute reads one name="value" at the start of rest (the value still
// encoded) and returns what follows it.
func (er *elementReader) attribute(at int, rest []byte) (name, value, after []byte, err error) {
	m := 0
	for m < len(rest) && isNameByte(rest[m]) {
		m++
	}
	if m == 0 {
		return nil, nil, nil, er.fail(at, "invalid attribute name")
	}
	name = rest[:m]
	if !validName(name) {
		return nil, nil, nil, er.fail(at, "invalid attribute name %s", name)
	}
	rest = skipSpace(rest[m:])
	if len(rest) == 0 || rest[0] != '=' {
		return nil, nil, nil, er.fail(at, "attribute %s without a value", name)
	}
	rest = skipSpace(rest[1:])
	if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
		return nil, nil, nil, er.fail(at, "attribute %s value is not quoted", name)
	}
	q := rest[0]
	e := bytes.IndexByte(rest[1:], q)
	if e < 0 {
		return nil, nil, nil, er.fail(at, "unterminated attribute value")
	}
	return name, rest[1 : 1+e], rest[2+e:], nil
}

// name resolves the element's qualified name into n and returns its prefix
// as written.
func (er *elementReader) name(n *node, at int, qname []byte) (string, error) {
	var prefix, local []byte
	if c := bytes.IndexByte(qname, ':'); c >= 0 {
		prefix, local = qname[:c], qname[c+1:]
		if len(prefix) == 0 || len(local) == 0 {
			return "", er.fail(at, "invalid element name %s", qname)
		}
	} else {
		local = qname
	}
	space, ok := er.lookup(prefix)
	if !ok {
		return "", er.fail(at, "undeclared namespace prefix %s", prefix)
	}
	n.Space, n.Local = space, er.str(local)
	return er.str(prefix), nil
}

// resolveAttrs fills n.Attr from er.attrs, prefixes resolved and values
// decoded.
func (er *elementReader) resolveAttrs(n *node, at int) error {
	if len(er.attrs) == 0 {
		return nil
	}
	n.Attr = append(n.Attr[:0], make([]xml.Attr, len(er.attrs))...)
	for x, a := range er.attrs {
		aspace := ""
		if len(a.prefix) > 0 {
			s, ok := er.lookup(a.prefix)
			if !ok {
				return er.fail(at, "undeclared namespace prefix %s", a.prefix)
			}
			aspace = s
		}
		v, err := er.decode(at, a.value)
		if err != nil {
			return err
		}
		n.Attr[x] = xml.Attr{Name: xml.Name{Space: aspace, Local: er.str(a.local)}, Value: er.short(v)}
	}
	return nil
}

// lookup resolves a prefix ("" = the default namespace).
func (er *elementReader) lookup(prefix []byte) (string, bool) {
	if string(prefix) == "xml" {
		return nsXML, true
	}
	for k := len(er.ns) - 1; k >= 0; k-- {
		if er.ns[k].prefix == string(prefix) {
			return er.ns[k].uri, true
		}
	}
	if len(prefix) == 0 {
		return "", true
	}
	return "", false
}

// appendText adds character data (entities decoded) to n; whitespace-only
// runs are dropped (every reader of Text trims it).
func (er *elementReader) appendText(n *node, at int, b []byte) error {
	allSpace := true
	for _, c := range b {
		if !isSpace(c) {
			allSpace = false
			break
		}
	}
	if allSpace {
		return nil
	}
	v, err := er.decode(at, b)
	if err != nil {
		return err
	}
	if n.Text == "" {
		n.Text = er.short(v)
	} else {
		n.Text += string(v)
	}
	return nil
}

// decode replaces entity and character references. The result may alias b
// or the reader's scratch buffer: copy before the next call.
func (er *elementReader) decode(at int, b []byte) ([]byte, error) {
	amp := bytes.IndexByte(b, '&')
	if amp < 0 {
		return b, nil
	}
	out := append(er.scratch[:0], b[:amp]...)
	b = b[amp:]
	for len(b) > 0 {
		if b[0] != '&' {
			j := bytes.IndexByte(b, '&')
			if j < 0 {
				j = len(b)
			}
			out = append(out, b[:j]...)
			b = b[j:]
			continue
		}
		semi := bytes.IndexByte(b, ';')
		if semi < 0 || semi > 12 {
			return nil, er.fail(at, "invalid character entity")
		}
		ref := string(b[1:semi])
		switch ref {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "apos":
			out = append(out, '\'')
		case "quot":
			out = append(out, '"')
		default:
			if len(ref) < 2 || ref[0] != '#' {
				return nil, er.fail(at, "invalid character entity &%s;", ref)
			}
			var v uint64
			var err error
			if ref[1] == 'x' {
				v, err = strconv.ParseUint(ref[2:], 16, 32)
			} else {
				v, err = strconv.ParseUint(ref[1:], 10, 32)
			}
			if err != nil || v == 0 || v > utf8.MaxRune || !utf8.ValidRune(rune(v)) {
				return nil, er.fail(at, "invalid character entity &%s;", ref)
			}
			out = utf8.AppendRune(out, rune(v))
		}
		b = b[semi+1:]
	}
	er.scratch = out
	return out, nil
}
