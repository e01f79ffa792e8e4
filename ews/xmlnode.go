package ews

import "github.com/ewsmon/ewsmon/internal/xmltree"

// node is one XML element with its namespace resolved: the tree the
// simulator reads requests into too (internal/xmltree). Responses are small
// enough (one envelope at a time) that a tree per envelope is the simplest
// correct way to match elements by namespace and local name wherever a
// server puts them. The scanner (xmlscan.go) builds them in
// xmltree.Strict mode: an element in no namespace is not an EWS element.
type node = xmltree.Node

// isEWS reports whether ns is one of the two EWS namespaces. Servers are
// not consistent about m: versus t: for some elements (Notification,
// SubscriptionId under ErrorSubscriptionIds), so content elements are
// matched in either.
func isEWS(ns string) bool { return xmltree.IsEWS(ns) }
