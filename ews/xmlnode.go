package ews

import (
	"encoding/xml"
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
	prefix       string // as written, to match the end tag
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

// kids returns the children of n (none when n is nil).
func (n *node) kids() []*node {
	if n == nil {
		return nil
	}
	return n.Kids
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
