package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
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
	sc   scroller
	w, h int
	// what it shows, to lay it out again at a new width
	store, what, scope string
	keys               map[string]string
	shown              bool
}

func newRefPane(c *common) *refPane {
	return &refPane{c: c, sc: newScroller(false)}
}

func (p *refPane) SetSize(w, h int) {
	p.w, p.h = w, h
	p.sc.SetSize(w, h)
	if p.shown {
		top := p.sc.vp.YOffset()
		p.render()
		p.sc.vp.SetYOffset(top)
	}
}

func (p *refPane) SetFocused(bool) {}

func (p *refPane) ShortHelp() []key.Binding {
	k := p.c.keys
	return []key.Binding{k.Up, k.Down, k.PageDown, k.Back}
}

func (p *refPane) Update(msg tea.Msg) (pane, tea.Cmd) {
	p.sc.Update(msg, p.c.keys)
	return p, nil
}

func (p *refPane) View() string { return block(p.sc.vp.View(), p.w, p.h) }

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
	p.sc.vp.GotoTop()
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
	p.sc.vp.SetContent(b.String())
}
