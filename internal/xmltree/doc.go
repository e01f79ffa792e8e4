// Package xmltree is ewsmon's one XML element tree: elements with their
// namespaces resolved, and the queries EWS code asks of them (the EWS child
// named X, its trimmed text, an attribute), matched by namespace and local
// name, never by prefix. The client (package ews) and the simulator
// (ews/sim) both read their XML into it; they differ only in how strict a
// query is about namespaces, which is a parameter of the tree (Mode).
//
// It also holds the indenter the detail view uses to show an envelope as
// it was written.
//
// It does not read a stream: the client's hostile-input scanner
// (ews/xmlscan.go) builds these nodes itself, with its size, depth and
// element limits; Parse is the simple encoding/xml reader for one
// document that the simulator uses for requests.
package xmltree
