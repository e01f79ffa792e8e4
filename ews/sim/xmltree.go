package sim

import (
	"encoding/xml"
	"strings"

	"github.com/ewsmon/ewsmon/internal/xmltree"
)

// xnode is one element of a parsed request, its namespace resolved: the
// client's tree (internal/xmltree), read in Lenient mode. Request elements
// are matched by local name in the EWS namespaces, and clients also send
// elements without any namespace (Microsoft's own push sample has an
// unqualified Subscribe), which Exchange accepts.
type xnode = xmltree.Node

// xmlError is a request that is not well-formed XML, with its line.
type xmlError = xmltree.SyntaxError

// parseXML reads one request (or push listener answer) into a tree.
func parseXML(data []byte) (*xnode, error) { return xmltree.Parse(data, xmltree.Lenient) }

// esc escapes text for element content and attribute values.
func esc(s string) string {
	if !strings.ContainsAny(s, "<>&'\"\r\n\t") {
		return s // ids, names and numbers almost always
	}
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
