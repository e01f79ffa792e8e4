package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// refPane is the cascade reference (C): for the server the dashboard runs
// on, what each action fires to the current subscription's scope, from the
// simulator's matrix (ews/sim/matrix.go, docs/cascades.md) — so a developer
// can read it without firing the action.
type refPane struct {
	c    *common
	vp   viewport.Model
	w, h int
	// what it shows, to lay it out again at a new width
	store, what, scope string
	keys               map[string]string
	shown              bool
}

func newRefPane(c *common) *refPane {
	return &refPane{c: c, vp: viewport.New()}
}

func (p *refPane) SetSize(w, h int) {
	p.w, p.h = w, h
	p.vp.SetWidth(w)
	p.vp.SetHeight(h)
	if p.shown {
		top := p.vp.YOffset()
		p.render()
		p.vp.SetYOffset(top)
	}
}

func (p *refPane) SetFocused(bool) {}

func (p *refPane) ShortHelp() []key.Binding {
	k := p.c.keys
	return []key.Binding{k.Up, k.Down, k.PageDown, k.Back}
}

func (p *refPane) Update(msg tea.Msg) (pane, tea.Cmd) {
	k := p.c.keys
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.Up):
			p.vp.ScrollUp(1)
		case key.Matches(msg, k.Down):
			p.vp.ScrollDown(1)
		case key.Matches(msg, k.PageUp):
			p.vp.PageUp()
		case key.Matches(msg, k.PageDown):
			p.vp.PageDown()
		case key.Matches(msg, k.Top):
			p.vp.GotoTop()
		case key.Matches(msg, k.Bottom):
			p.vp.GotoBottom()
		}
	case tea.MouseWheelMsg:
		if d := wheelDelta(msg); d < 0 {
			p.vp.ScrollUp(-d)
		} else {
			p.vp.ScrollDown(d)
		}
	}
	return p, nil
}

func (p *refPane) View() string { return block(p.vp.View(), p.w, p.h) }

// refStore picks the matrix's store for the server: the simulator's profile,
// else the major version the server reported (14: Exchange 2010; 15 and
// later: the Exchange 2013 store); "" when not known yet.
func refStore(profile string, v ews.ServerVersionInfo) (store, what string) {
	if p, err := sim.LookupProfile(profile); profile != "" && err == nil {
		return p.Store(), "the simulator's " + p.Name + " profile (" + p.Title + ")"
	}
	switch {
	case v.MajorVersion >= 15:
		return sim.Store2013, fmt.Sprintf("the server, Exchange %d.%d (the Exchange 2013 store's events)", v.MajorVersion, v.MinorVersion)
	case v.MajorVersion == 14:
		return sim.Store2010, fmt.Sprintf("the server, Exchange %d.%d (Exchange 2010's events)", v.MajorVersion, v.MinorVersion)
	}
	return sim.Store2013, "a server whose version is not known yet: showing the Exchange 2013 store's events"
}

// setContent shows the reference for a store and a scope, from the top.
func (p *refPane) setContent(store, what, scope string, simKeys map[string]string) {
	p.store, p.what, p.scope, p.keys, p.shown = store, what, scope, simKeys, true
	p.render()
	p.vp.GotoTop()
}

// render lays the reference out at the pane's width, wrapping at words.
func (p *refPane) render() {
	s := p.c.styles
	store, what, scope, simKeys := p.store, p.what, p.scope, p.keys
	w := max(p.w, 20)
	para := func(st func(...string) string, indent, text string) string {
		var out []string
		for _, l := range wrap(text, w-ansi.StringWidth(indent)) {
			out = append(out, indent+st(l))
		}
		return strings.Join(out, "\n") + "\n"
	}
	scopeText := "a subscription naming folder ids"
	if scope == sim.ScopeAll {
		scopeText = "a subscription on all folders"
	}
	var b strings.Builder
	b.WriteString(s.Bold.Render("Cascade reference") + "\n")
	b.WriteString(para(s.Muted.Render, "", "What each action fires, in order, for "+what+" to "+scopeText+". From docs/cascades.md, the matrix the simulator fires. esc closes."))
	for _, r := range sim.Matrix {
		c := r.Cell(store, scope)
		if c == nil {
			continue
		}
		head := r.Action
		if k := simKeys[r.Action]; k != "" {
			head += "  [" + k + "]"
		}
		b.WriteString("\n" + para(s.Accent.Render, "", head+" — "+r.Title))
		for i, e := range c.Events {
			b.WriteString(fmt.Sprintf("  %d. %s\n", i+1, e))
		}
		b.WriteString(para(s.Muted.Render, "  ", "source: "+c.Source))
	}
	p.vp.SetContent(b.String())
}
