package theme

import (
	"fmt"
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"
)

// Names are the theme names New accepts.
var Names = []string{"dark", "light", "none"}

// Palette is the handful of colours a theme is built from. A nil colour means
// "the terminal's default".
type Palette struct {
	Text, Muted, Subtle, Accent                  color.Color
	Red, Orange, Yellow, Green, Cyan, Blue, Pink color.Color
	SelectionBg                                  color.Color
}

// Roles name what a colour means. Every style in Styles is built from a role.
type Roles struct {
	Text, Muted, Border, BorderFocus, Accent color.Color
	Warn, Error, OK                          color.Color
	SelectionBg                              color.Color

	EventNewMail, EventCreated, EventDeleted, EventModified color.Color
	EventMoved, EventCopied, EventFreeBusy, EventStatus     color.Color

	StateSubscribing, StateOpen, StateReconnecting, StateClosed color.Color
	StateExpired, StateUnsubscribed, StateError                 color.Color
}

// Styles are the lipgloss styles of the dashboard.
type Styles struct {
	Name    string
	NoColor bool

	Text, Muted, Accent, Warn, Error, OK lipgloss.Style
	Bold                                 lipgloss.Style

	// Pane frames: the focused pane's border is drawn in the accent colour
	// (and with a thick border, so focus shows without colour too).
	Pane, PaneFocused           lipgloss.Style
	PaneTitle, PaneTitleFocused lipgloss.Style
	// Overlay is the frame of a dialog drawn over the panes.
	Overlay lipgloss.Style

	ColumnHeader  lipgloss.Style // the event list's column titles
	Selected      lipgloss.Style // the selected row
	CascadeHeader lipgloss.Style // a cascade's header row
	Badge         lipgloss.Style // "12 new" while paused
	ErrorBanner   lipgloss.Style // the one-sentence error of an error state
	Sparkline     lipgloss.Style
	Unread        lipgloss.Style // unread counts in the tree

	HelpKey, HelpDesc, HelpSep lipgloss.Style

	events map[string]lipgloss.Style // by EWS event element name
	states map[string]lipgloss.Style // by subscription state name
}

// Event is the style of an event type's name. t is anything that names an
// EWS event element ("NewMailEvent", ...) as its String, such as
// ews.EventType: theme knows the names, not the protocol package.
func (s Styles) Event(t fmt.Stringer) lipgloss.Style {
	if st, ok := s.events[t.String()]; ok {
		return st
	}
	return s.Text
}

// State is the style of a subscription state named by its String
// ("open", "error", ...), such as ews.ConnState.
func (s Styles) State(c fmt.Stringer) lipgloss.Style {
	if st, ok := s.states[c.String()]; ok {
		return st
	}
	return s.Text
}

// Parse returns the named theme, or an error naming the valid themes.
func Parse(name string) (Styles, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "dark", "":
		return FromRoles("dark", RolesOf(DarkPalette())), nil
	case "light":
		return FromRoles("light", RolesOf(LightPalette())), nil
	case "none", "no-color", "nocolor":
		return FromRoles("none", Roles{}), nil
	}
	return Styles{}, fmt.Errorf("unknown theme %q (want one of %s)", name, strings.Join(Names, ", "))
}

// New returns the named theme ("dark", "light" or "none"); an unknown name
// gives "dark".
func New(name string) Styles {
	s, err := Parse(name)
	if err != nil {
		s, _ = Parse("dark")
	}
	return s
}

// ForBackground picks "dark" or "light" for a terminal background.
func ForBackground(isDark bool) Styles {
	if isDark {
		return New("dark")
	}
	return New("light")
}

// DarkPalette is for terminals with a dark background.
func DarkPalette() Palette {
	return Palette{
		Text:        lipgloss.Color("#DDDDDD"),
		Muted:       lipgloss.Color("#8A8A8A"),
		Subtle:      lipgloss.Color("#4E4E4E"),
		Accent:      lipgloss.Color("#7D9FFF"),
		Red:         lipgloss.Color("#FF6B6B"),
		Orange:      lipgloss.Color("#FFA94D"),
		Yellow:      lipgloss.Color("#FFD866"),
		Green:       lipgloss.Color("#8CD37A"),
		Cyan:        lipgloss.Color("#66D9E8"),
		Blue:        lipgloss.Color("#74A7FF"),
		Pink:        lipgloss.Color("#F78CD2"),
		SelectionBg: lipgloss.Color("#303A55"),
	}
}

// LightPalette is for terminals with a light background.
func LightPalette() Palette {
	return Palette{
		Text:        lipgloss.Color("#202020"),
		Muted:       lipgloss.Color("#6C6C6C"),
		Subtle:      lipgloss.Color("#BDBDBD"),
		Accent:      lipgloss.Color("#2F55D4"),
		Red:         lipgloss.Color("#C92A2A"),
		Orange:      lipgloss.Color("#C25E00"),
		Yellow:      lipgloss.Color("#8F6A00"),
		Green:       lipgloss.Color("#2B8A3E"),
		Cyan:        lipgloss.Color("#0B7285"),
		Blue:        lipgloss.Color("#1C5FC7"),
		Pink:        lipgloss.Color("#A61E7A"),
		SelectionBg: lipgloss.Color("#D6E0FF"),
	}
}

// RolesOf assigns meanings to a palette's colours.
func RolesOf(p Palette) Roles {
	return Roles{
		Text: p.Text, Muted: p.Muted, Border: p.Subtle, BorderFocus: p.Accent, Accent: p.Accent,
		Warn: p.Orange, Error: p.Red, OK: p.Green, SelectionBg: p.SelectionBg,

		EventNewMail:  p.Green,
		EventCreated:  p.Cyan,
		EventDeleted:  p.Red,
		EventModified: p.Yellow,
		EventMoved:    p.Blue,
		EventCopied:   p.Pink,
		EventFreeBusy: p.Orange,
		EventStatus:   p.Muted,

		StateSubscribing:  p.Yellow,
		StateOpen:         p.Green,
		StateReconnecting: p.Orange,
		StateClosed:       p.Muted,
		StateExpired:      p.Orange,
		StateUnsubscribed: p.Muted,
		StateError:        p.Red,
	}
}

// FromRoles builds the styles. A Roles with nil colours gives styles with no
// colour at all.
func FromRoles(name string, r Roles) Styles {
	fg := func(c color.Color) lipgloss.Style {
		st := lipgloss.NewStyle()
		if c != nil {
			st = st.Foreground(c)
		}
		return st
	}
	border := func(c color.Color, b lipgloss.Border) lipgloss.Style {
		st := lipgloss.NewStyle().Border(b)
		if c != nil {
			st = st.BorderForeground(c)
		}
		return st
	}
	s := Styles{
		Name:    name,
		NoColor: r.Text == nil && r.Accent == nil,
		Text:    fg(r.Text),
		Muted:   fg(r.Muted),
		Accent:  fg(r.Accent),
		Warn:    fg(r.Warn).Bold(true),
		Error:   fg(r.Error).Bold(true),
		OK:      fg(r.OK),
		Bold:    lipgloss.NewStyle().Bold(true),

		Pane:             border(r.Border, lipgloss.NormalBorder()),
		PaneFocused:      border(r.BorderFocus, lipgloss.ThickBorder()),
		PaneTitle:        fg(r.Muted).Bold(true),
		PaneTitleFocused: fg(r.Accent).Bold(true),
		Overlay:          border(r.BorderFocus, lipgloss.RoundedBorder()).Padding(0, 1),

		ColumnHeader:  fg(r.Muted).Bold(true),
		CascadeHeader: fg(r.Text).Bold(true),
		Badge:         fg(r.Warn).Bold(true).Reverse(true),
		ErrorBanner:   fg(r.Error).Bold(true),
		Sparkline:     fg(r.Accent),
		Unread:        fg(r.Accent).Bold(true),

		HelpKey:  fg(r.Accent).Bold(true),
		HelpDesc: fg(r.Muted),
		HelpSep:  fg(r.Border),
	}
	if r.SelectionBg != nil {
		s.Selected = lipgloss.NewStyle().Background(r.SelectionBg)
	} else {
		s.Selected = lipgloss.NewStyle().Reverse(true)
	}
	s.events = map[string]lipgloss.Style{
		"NewMailEvent":         fg(r.EventNewMail).Bold(true),
		"CreatedEvent":         fg(r.EventCreated),
		"DeletedEvent":         fg(r.EventDeleted),
		"ModifiedEvent":        fg(r.EventModified),
		"MovedEvent":           fg(r.EventMoved),
		"CopiedEvent":          fg(r.EventCopied),
		"FreeBusyChangedEvent": fg(r.EventFreeBusy),
		"StatusEvent":          fg(r.EventStatus),
	}
	s.states = map[string]lipgloss.Style{
		"subscribing":  fg(r.StateSubscribing).Bold(true),
		"open":         fg(r.StateOpen).Bold(true),
		"reconnecting": fg(r.StateReconnecting).Bold(true),
		"closed":       fg(r.StateClosed).Bold(true),
		"expired":      fg(r.StateExpired).Bold(true),
		"unsubscribed": fg(r.StateUnsubscribed).Bold(true),
		"error":        fg(r.StateError).Bold(true),
	}
	return s
}
