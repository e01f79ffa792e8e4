package ui

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/keymap"
)

// scroller is how every pane that shows text scrolls (the detail, the
// cascade reference, the status pane, the full help): a bubbles viewport
// moved by the keymap's movement keys and the mouse wheel, so a remapped
// key scrolls them all alike.
type scroller struct {
	vp viewport.Model
}

func newScroller(softWrap bool) scroller {
	vp := viewport.New()
	vp.SoftWrap = softWrap
	vp.MouseWheelEnabled = false  // the wheel goes through Update, like the keys
	vp.KeyMap = viewport.KeyMap{} // and so do the keys: the keymap's, not the viewport's
	return scroller{vp: vp}
}

func (s *scroller) SetSize(w, h int) {
	s.vp.SetWidth(max(w, 1))
	s.vp.SetHeight(max(h, 1))
}

// Update scrolls for a movement key or a wheel notch; it reports whether
// msg was one.
func (s *scroller) Update(msg tea.Msg, k *keymap.KeyMap) bool {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.Up):
			s.vp.ScrollUp(1)
		case key.Matches(msg, k.Down):
			s.vp.ScrollDown(1)
		case key.Matches(msg, k.PageUp):
			s.vp.PageUp()
		case key.Matches(msg, k.PageDown):
			s.vp.PageDown()
		case key.Matches(msg, k.Top):
			s.vp.GotoTop()
		case key.Matches(msg, k.Bottom):
			s.vp.GotoBottom()
		default:
			return false
		}
		return true
	case tea.MouseWheelMsg:
		if d := wheelDelta(msg); d < 0 {
			s.vp.ScrollUp(-d)
		} else {
			s.vp.ScrollDown(d)
		}
		return true
	}
	return false
}

// SetLines replaces the text, keeping the place (as far as it still exists).
func (s *scroller) SetLines(lines []string) { s.vp.SetContentLines(lines) }

func (s *scroller) View() string { return s.vp.View() }
