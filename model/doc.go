// Package model is the dashboard's domain state: the bounded event log and
// the cascades it is grouped into, the rows the event list shows, the
// subscription status with its countdowns, and the folder tree kept current
// by SyncFolderHierarchy.
//
// It is pure state: no I/O, no goroutines, and no time.Now — every moment
// comes in with the data (ews.Update.At) or as an argument (now), so tests
// drive it with fixed times. It is not safe for concurrent use; the UI owns
// one State and touches it from its Update loop only.
//
// Cost: appending events is amortized O(1); Rows(start, n) costs O(n) (plus
// a binary search over cascades) however many events are retained; changing
// the filter rebuilds the visible list in O(retained events). The grouping
// and labelling rules are documented in docs/cascade-rules.md.
package model
