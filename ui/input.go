package ui

import (
	"slices"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/ewsmon/ewsmon/theme"
)

// historyMax bounds a prompt's history.
const historyMax = 50

// prompt is a one-line bubbles textinput in the bottom bar (full line
// editing: ←/→, home/end, ctrl+a/e, ctrl+w, ctrl+u…) with a history that
// ↑/↓ walk, and a note after the text (the filter's error, say). The
// filter, the detail search and the password prompt are prompts.
type prompt struct {
	ti      textinput.Model
	history []string
	hpos    int    // the history entry shown; len(history): the line being typed
	draft   string // the line being typed, while ↑ shows older ones
	note    string // shown after the text, in the warning style
}

func newPrompt(label, placeholder string) *prompt {
	ti := textinput.New()
	ti.Prompt = label
	ti.Placeholder = placeholder
	return &prompt{ti: ti}
}

// newPasswordPrompt is a prompt that shows stars and has no history.
func newPasswordPrompt(label, placeholder string) *prompt {
	p := newPrompt(label, placeholder)
	p.ti.EchoMode = textinput.EchoPassword
	return p
}

// SetNote sets what is shown after the text ("" for nothing).
func (p *prompt) SetNote(s string) { p.note = s }

// Take returns the line and empties it (a password is not kept).
func (p *prompt) Take() string {
	v := p.ti.Value()
	p.ti.SetValue("")
	return v
}

// open starts editing value, with the cursor at its end.
func (p *prompt) open(value string) {
	p.ti.SetValue(value)
	p.ti.CursorEnd()
	p.ti.Focus()
	p.hpos, p.draft, p.note = len(p.history), "", ""
}

// close stops editing; remember keeps the line in the history.
func (p *prompt) close(remember bool) {
	p.ti.Blur()
	v := p.ti.Value()
	if !remember || v == "" {
		return
	}
	p.history = slices.DeleteFunc(p.history, func(h string) bool { return h == v })
	p.history = append(p.history, v)
	if len(p.history) > historyMax {
		p.history = p.history[len(p.history)-historyMax:]
	}
}

func (p *prompt) Value() string { return p.ti.Value() }

// Update edits the line for a key or a paste; changed reports whether its
// text changed.
func (p *prompt) Update(msg tea.Msg) (changed bool) {
	before := p.ti.Value()
	k, isKey := msg.(tea.KeyPressMsg)
	switch {
	case isKey && k.String() == "up":
		p.walk(-1)
	case isKey && k.String() == "down":
		p.walk(1)
	default:
		p.ti, _ = p.ti.Update(msg)
	}
	return p.ti.Value() != before
}

// walk steps through the history: -1 older, +1 newer (back to the draft).
func (p *prompt) walk(d int) {
	i := min(max(p.hpos+d, 0), len(p.history))
	if i == p.hpos {
		return
	}
	if p.hpos == len(p.history) {
		p.draft = p.ti.Value()
	}
	p.hpos = i
	if i == len(p.history) {
		p.ti.SetValue(p.draft)
	} else {
		p.ti.SetValue(p.history[i])
	}
	p.ti.CursorEnd()
}

// View draws the prompt w cells wide in the theme's roles.
func (p *prompt) View(s theme.Styles, w int) string {
	note := ""
	if p.note != "" {
		note = "  " + s.Warn.Render(p.note)
	}
	st := textinput.Styles{
		Focused: textinput.StyleState{Prompt: s.Accent, Placeholder: s.Muted, Text: lipgloss.NewStyle()},
		Blurred: textinput.StyleState{Prompt: s.Accent, Placeholder: s.Muted, Text: lipgloss.NewStyle()},
		// A steady cursor: the screen changes only when something does.
		Cursor: textinput.CursorStyle{Blink: false},
	}
	p.ti.SetStyles(st)
	p.ti.SetWidth(max(w-width(p.ti.Prompt)-width(note)-1, 1))
	return fit(p.ti.View()+note, w)
}
