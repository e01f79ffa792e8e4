package ui

import "time"

// mode is what the screen is doing; the root routes every key, click and
// frame by the mode on top of its stack (see Model.modes).
type mode int

const (
	// modeList: the panes (tree, list, status); keys go to the focused one.
	modeList mode = iota
	// modeDetail: one event's detail covers the tree and the list.
	modeDetail
	// modeFilter: the `/` prompt edits the list's filter, live.
	modeFilter
	// modeSearch: the `/` prompt of the detail view searches its text.
	modeSearch
	// modeTypes: the `e` checklist of event types.
	modeTypes
	// modePassword: the password prompt after an authentication failure.
	modePassword
	// modeHelp: every binding (`?`).
	modeHelp
	// modeRef: the cascade reference (C).
	modeRef
)

// modeStack is the screen's modes: modeList at the bottom, the detail view
// above it when open, and the prompts and full-screen views above that.
// esc pops the top one.
type modeStack []mode

// top is the current mode.
func (s modeStack) top() mode {
	if len(s) == 0 {
		return modeList
	}
	return s[len(s)-1]
}

// has reports whether m is anywhere on the stack (the detail view under the
// help, say).
func (s modeStack) has(m mode) bool {
	for _, x := range s {
		if x == m {
			return true
		}
	}
	return false
}

func (s *modeStack) push(m mode) {
	if s.top() != m {
		*s = append(*s, m)
	}
}

// pop leaves the current mode (never the list at the bottom).
func (s *modeStack) pop() {
	if len(*s) > 0 {
		*s = (*s)[:len(*s)-1]
	}
}

// drop removes m and everything above it (the detail view closing under a
// prompt).
func (s *modeStack) drop(m mode) {
	for i, x := range *s {
		if x == m {
			*s = (*s)[:i]
			return
		}
	}
}

// body is the mode that decides what the body shows: the top one that is
// not a one-line prompt (the filter prompt edits the list it sits under).
func (s modeStack) body() mode {
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case modeFilter, modeSearch, modePassword:
			continue
		}
		return s[i]
	}
	return modeList
}

// flashKind says how a flash message is drawn.
type flashKind int

const (
	flashInfo flashKind = iota
	flashError
)

// flash is a one-line message in the bottom bar until it expires. It is
// data to show, never state to test: what is going on is in the model's
// fields, and the message only tells the user.
type flash struct {
	text  string
	kind  flashKind
	until time.Time
}

// shown reports whether the message is still to be drawn at now.
func (f flash) shown(now time.Time) bool { return f.text != "" && now.Before(f.until) }
