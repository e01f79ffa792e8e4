package ui

import "github.com/ewsmon/ewsmon/internal/xmltree"

// indentXML pretty-prints an envelope for the detail view: the one
// indenter (internal/xmltree), prefixes and attributes as written. Input
// that is not well-formed comes back as it was.
func indentXML(raw []byte) string { return xmltree.Indent(raw) }
