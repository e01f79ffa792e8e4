package ui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// fetchItems asks GetItem for the subjects of the items on screen that are
// not known yet, each id once.
func (m *Model) fetchItems() tea.Cmd {
	if m.modes.body() == modeHelp || m.opts.Backend == nil {
		return nil
	}
	if len(m.requested) > 4*max(m.st.Config().MaxEvents, 1000) {
		m.requested = map[string]bool{}
	}
	var ids []ews.ItemId
	want := func(e *model.Entry) {
		id := e.Event.ItemId
		if id.IsZero() || m.requested[id.Id] {
			return
		}
		if _, ok := m.st.Item(id.Id); ok {
			return
		}
		m.requested[id.Id] = true
		ids = append(ids, id)
	}
	for _, r := range m.events.VisibleRows() {
		if r.Entry != nil {
			want(r.Entry)
		} else {
			// The header's subject (cascadeSubject): the items its first
			// events name.
			for _, e := range r.Cascade.Entries[:min(len(r.Cascade.Entries), headerItems)] {
				want(e)
			}
		}
	}
	var cmds []tea.Cmd
	for len(ids) > 0 {
		n := min(len(ids), itemBatch)
		cmds = append(cmds, getItemsCmd(m.ctx, m.opts.Backend, ids[:n]))
		ids = ids[n:]
	}
	return tea.Batch(cmds...)
}
