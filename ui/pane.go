package ui

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/keymap"
	"github.com/ewsmon/ewsmon/model"
	"github.com/ewsmon/ewsmon/theme"
)

// pane is one component of the screen: it handles the messages the root
// routes to it, draws itself into the size it was given, and says which keys
// it accepts for the help bar (the full help, `?`, lists every binding).
type pane interface {
	Update(msg tea.Msg) (pane, tea.Cmd)
	View() string
	SetSize(w, h int)
	SetFocused(bool)
	ShortHelp() []key.Binding
}

// common is what every pane reads: the domain state, styles, keys and the
// clock. Only the root writes to it.
type common struct {
	st     *model.State
	styles theme.Styles
	// stylesGen changes whenever styles does (caches of styled text
	// compare it).
	stylesGen uint64
	keys      *keymap.KeyMap
	clock     ews.Clock
	times     *times // how moments are written (t cycles it)
	// spin is the spinner of whatever is being waited for (a folder sync,
	// a subscription, a GetItem); the root ticks it while something waits.
	spin *spinner.Model
}

// paneID names the focusable panes.
type paneID int

const (
	paneFolders paneID = iota
	paneEvents
	paneStatus
)

// rect is where a pane was drawn, for mouse hit tests.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool {
	return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h
}

// withHelp is b described for one pane (enter "filter to folder" in the
// tree); its keys, remapped or not, stay b's.
func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}
