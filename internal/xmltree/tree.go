package xmltree

import (
	"encoding/xml"
	"strings"
)

// The namespaces EWS traffic uses.
const (
	NSSoap     = "http://schemas.xmlsoap.org/soap/envelope/"
	NSMessages = "http://schemas.microsoft.com/exchange/services/2006/messages"
	NSTypes    = "http://schemas.microsoft.com/exchange/services/2006/types"
	NSXML      = "http://www.w3.org/XML/1998/namespace"
)

// Mode says which elements count as EWS elements when a query names one.
type Mode uint8

const (
	// Strict matches elements in either EWS namespace (m: or t:: servers
	// are not consistent about Notification, or the SubscriptionId under
	// ErrorSubscriptionIds). What the client reads: servers qualify
	// everything they write.
	Strict Mode = iota
	// Lenient also matches elements in no namespace at all. Clients send
	// those (Microsoft's own push sample has an unqualified Subscribe) and
	// Exchange accepts them; what the simulator reads.
	Lenient
)

// Node is one XML element with its namespace resolved.
type Node struct {
	Space, Local string
	Attr         []xml.Attr
	Text         string // the element's own character data, concatenated
	Kids         []*Node
	Mode         Mode // how queries on this node match names (set by the builder)
}

// IsEWS reports whether ns is one of the two EWS namespaces.
func IsEWS(ns string) bool { return ns == NSMessages || ns == NSTypes }

// InEWS reports whether n's namespace counts as EWS under its mode.
func (n *Node) InEWS() bool {
	return IsEWS(n.Space) || n.Mode == Lenient && n.Space == ""
}

// Is reports whether n is the EWS element local.
func (n *Node) Is(local string) bool { return n != nil && n.Local == local && n.InEWS() }

// IsSoap reports whether n is the SOAP 1.1 element local.
func (n *Node) IsSoap(local string) bool { return n != nil && n.Local == local && n.Space == NSSoap }

// Child returns the first EWS child named local, or nil.
func (n *Node) Child(local string) *Node {
	if n == nil {
		return nil
	}
	for _, k := range n.Kids {
		if k.Is(local) {
			return k
		}
	}
	return nil
}

// Elements returns the children of n (none when n is nil).
func (n *Node) Elements() []*Node {
	if n == nil {
		return nil
	}
	return n.Kids
}

// Children returns every EWS child named local.
func (n *Node) Children(local string) []*Node {
	if n == nil {
		return nil
	}
	var out []*Node
	for _, k := range n.Kids {
		if k.Is(local) {
			out = append(out, k)
		}
	}
	return out
}

// ChildText returns the trimmed text of the EWS child local ("" if absent).
func (n *Node) ChildText(local string) string {
	c := n.Child(local)
	if c == nil {
		return ""
	}
	return strings.TrimSpace(c.Text)
}

// Attribute returns the value of the attribute local, unqualified or in an
// EWS namespace ("" if absent).
func (n *Node) Attribute(local string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Name.Local == local && (a.Name.Space == "" || IsEWS(a.Name.Space)) {
			return a.Value
		}
	}
	return ""
}
