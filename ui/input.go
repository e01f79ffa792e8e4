package ui

import (
	"strings"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/theme"
)

// lineInput is the one-line text field of the `/` filter: typing appends,
// backspace deletes, ctrl+u clears, ctrl+w deletes a word. (bubbles'
// textinput would pull in a clipboard module for no gain here.)
type lineInput struct {
	value string
}

func (in *lineInput) SetValue(s string) { in.value = s }
func (in *lineInput) Value() string     { return in.value }

func (in *lineInput) Update(msg tea.KeyPressMsg) {
	switch msg.String() {
	case "backspace", "ctrl+h":
		if in.value != "" {
			_, n := utf8.DecodeLastRuneInString(in.value)
			in.value = in.value[:len(in.value)-n]
		}
	case "ctrl+u":
		in.value = ""
	case "ctrl+w", "alt+backspace":
		v := strings.TrimRight(in.value, " ")
		if i := strings.LastIndex(v, " "); i >= 0 {
			in.value = v[:i+1]
		} else {
			in.value = ""
		}
	case "space":
		in.value += " "
	default:
		if msg.Text != "" && msg.Mod&^tea.ModShift == 0 {
			in.value += msg.Text
		}
	}
}

// View draws "/ value█" (the block is the cursor), or the placeholder.
func (in *lineInput) View(st theme.Styles, w int) string {
	const prompt = "/ "
	cursor := st.Selected.Render(" ")
	if in.value == "" {
		return st.Accent.Render(prompt) + cursor + st.Muted.Render(" words  type:NewMail  folder:Inbox · enter apply · esc cancel")
	}
	v := in.value
	// Keep the end (where the cursor is) visible.
	for len(v) > 0 && len(prompt)+utf8.RuneCountInString(v)+1 > w {
		_, n := utf8.DecodeRuneInString(v)
		v = v[n:]
	}
	return st.Accent.Render(prompt) + v + cursor
}
