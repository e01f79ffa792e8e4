// Package ui is the Bubble Tea dashboard: a root model that owns a
// subscription (through a Backend such as *ews.Client), turns its updates
// into messages for the model package's State, and lays out one component
// per pane — the folder tree, the event list, the status pane, the detail
// view and the help — with a help bar for the focused pane's keys.
//
// All I/O runs in tea.Cmds; results come back addressed (to a subscription
// generation, an event, a sync) so a late answer for something the user has
// moved on from is dropped, not misapplied. Panes draw only the rows that are
// visible, and a burst of runner updates is drained from the channel into one
// message, so it costs one redraw.
package ui
