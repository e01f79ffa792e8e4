package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/model"
)

// foldersPane is the folder tree. Its first row, "All folders", clears the
// folder filter; enter on a folder filters the event list to it.
//
// Hand-written rather than a bubbles tree: the tree is model.FolderTree,
// rebuilt by each sync, and a row carries counts that change with every
// event; the pane flattens it on each draw and keeps the cursor by folder
// id, where the bubbles tree would have to be rebuilt and re-navigated.
type foldersPane struct {
	c       *common
	w, h    int
	focused bool

	cursor    int    // 0: "All folders"; i>0: node i-1
	cursorID  string // the folder under the cursor, kept across tree changes
	top       int
	collapsed map[string]bool
	sync      *folderSync // read only: the root schedules the syncs
}

func newFoldersPane(c *common, sync *folderSync) *foldersPane {
	return &foldersPane{c: c, collapsed: map[string]bool{}, sync: sync}
}

func (p *foldersPane) SetSize(w, h int)  { p.w, p.h = w, h }
func (p *foldersPane) SetFocused(f bool) { p.focused = f }
func (p *foldersPane) listHeight() int   { return max(p.h-2, 0) }

func (p *foldersPane) ShortHelp() []key.Binding {
	k := p.c.keys
	return []key.Binding{withHelp(k.Enter, "filter to folder"), withHelp(k.FolderScope, "watch only it / all"), k.Resync, k.Collapse, k.Expand, k.NextPane, k.Help}
}

func (p *foldersPane) nodes() []model.FolderNode {
	return p.c.st.Tree().Flatten(func(id string) bool { return p.collapsed[id] })
}

// index finds the cursor's row after the tree changed.
func (p *foldersPane) index(nodes []model.FolderNode) int {
	if p.cursorID == "" {
		return 0
	}
	for i, n := range nodes {
		if n.Folder.FolderId.Id == p.cursorID {
			return i + 1
		}
	}
	return min(p.cursor, len(nodes))
}

func (p *foldersPane) setCursor(nodes []model.FolderNode, i int) {
	i = min(max(i, 0), len(nodes))
	p.cursor = i
	p.cursorID = ""
	if i > 0 {
		p.cursorID = nodes[i-1].Folder.FolderId.Id
	}
	lh := p.listHeight()
	if i < p.top {
		p.top = i
	}
	if lh > 0 && i >= p.top+lh {
		p.top = i - lh + 1
	}
}

// Selected is the folder id under the cursor ("" for "All folders").
func (p *foldersPane) Selected() string {
	nodes := p.nodes()
	i := p.index(nodes)
	if i == 0 {
		return ""
	}
	return nodes[i-1].Folder.FolderId.Id
}

// ClickRow moves the cursor to screen line y of the pane (0: top border)
// and reports whether it landed on a row.
func (p *foldersPane) ClickRow(y int) bool {
	nodes := p.nodes()
	i := p.viewTop(nodes, p.index(nodes)) + y - 1
	if y < 1 || y > p.listHeight() || i > len(nodes) {
		return false
	}
	p.setCursor(nodes, i)
	return true
}

func (p *foldersPane) Update(msg tea.Msg) (pane, tea.Cmd) {
	k := p.c.keys
	nodes := p.nodes()
	cur := p.index(nodes)
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.Up):
			p.setCursor(nodes, cur-1)
		case key.Matches(msg, k.Down):
			p.setCursor(nodes, cur+1)
		case key.Matches(msg, k.PageUp):
			p.setCursor(nodes, cur-max(p.listHeight()-1, 1))
		case key.Matches(msg, k.PageDown):
			p.setCursor(nodes, cur+max(p.listHeight()-1, 1))
		case key.Matches(msg, k.Top):
			p.setCursor(nodes, 0)
		case key.Matches(msg, k.Bottom):
			p.setCursor(nodes, len(nodes))
		case key.Matches(msg, k.Collapse):
			if cur > 0 {
				n := nodes[cur-1]
				if n.HasChildren && !p.collapsed[n.Folder.FolderId.Id] {
					p.collapsed[n.Folder.FolderId.Id] = true
				} else {
					// Go to the parent.
					for j := cur - 1; j >= 1; j-- {
						if nodes[j-1].Depth < n.Depth {
							p.setCursor(nodes, j)
							break
						}
					}
				}
			}
		case key.Matches(msg, k.Expand):
			if cur > 0 {
				delete(p.collapsed, nodes[cur-1].Folder.FolderId.Id)
			}
		}
	case tea.MouseWheelMsg:
		if d := wheelDelta(msg); d != 0 {
			p.setCursor(nodes, cur+d)
		}
	}
	return p, nil
}

// viewTop is the first row on screen: p.top, kept so that the cursor is on
// screen even after the tree shrank or the pane grew. View draws from it and
// a click is mapped through it.
func (p *foldersPane) viewTop(nodes []model.FolderNode, cur int) int {
	lh := p.listHeight()
	top := min(p.top, max(len(nodes)+1-lh, 0))
	if cur < top {
		top = cur
	}
	if lh > 0 && cur >= top+lh {
		top = cur - lh + 1
	}
	return top
}

func (p *foldersPane) View() string {
	s := p.c.styles
	inner := max(p.w-2, 0)
	nodes := p.nodes()
	cur := p.index(nodes)
	filterID := p.c.st.Filter().FolderId
	lh := p.listHeight()

	lines := make([]string, 0, lh)
	for i := p.viewTop(nodes, cur); i <= len(nodes) && len(lines) < lh; i++ {
		gutter := " "
		if i == cur {
			gutter = "›"
		}
		var line string
		if i == 0 {
			mark := " "
			if filterID == "" {
				mark = "●"
			}
			line = fit(gutter+mark+"All folders", inner)
		} else {
			line = p.folderLine(nodes[i-1], gutter, filterID, inner)
		}
		if i == cur && p.focused {
			line = s.Selected.Render(fit(stripped(line), inner))
		}
		lines = append(lines, line)
	}
	if len(nodes) == 0 && len(lines) < lh {
		lines = append(lines, p.emptyLines(inner)...)
	}
	note := ""
	if p.sync.running {
		note = s.Muted.Render(p.c.spin.View())
	} else if p.sync.err != "" {
		note = s.Error.Render("!")
	}
	return frame(s, "Folders", note, lines, p.w, p.h, p.focused)
}

// folderLine is one folder's row: its name, then its unread count in
// parentheses (as mail clients write it, so a number at the right is never
// taken for a folder named "2025"), and at the right "·N", the events it
// has seen.
func (p *foldersPane) folderLine(n model.FolderNode, gutter, filterID string, inner int) string {
	s := p.c.styles
	id := n.Folder.FolderId.Id
	mark := " "
	if id == filterID {
		mark = "●"
	}
	twisty := "  "
	if n.HasChildren {
		twisty = "▾ "
		if p.collapsed[id] {
			twisty = "▸ "
		}
	}
	lead := gutter + mark + strings.Repeat(" ", min(n.Depth, 6)) + twisty
	name := n.Folder.DisplayName
	if name == "" {
		name = p.c.st.Tree().Name(id)
	}
	unread := ""
	if n.UnreadKnown && n.Unread > 0 {
		unread = s.Unread.Render(fmt.Sprintf(" (%d)", n.Unread))
	}
	right := ""
	if n.Events > 0 {
		// On a wide tree always, on a narrow one (the usual 80–150
		// columns) wherever the name still fits beside it.
		events := s.Muted.Render(fmt.Sprintf(" ·%d", n.Events))
		if inner >= 24 || width(lead+name+unread)+width(events) <= inner {
			right = events
		}
	}
	// The name gives way before its unread count does.
	room := inner - width(lead) - width(unread) - width(right)
	return spread(lead+fit(name, min(max(room, 1), width(name)))+unread, right, inner)
}

// emptyLines say why the tree is empty.
func (p *foldersPane) emptyLines(inner int) []string {
	s := p.c.styles
	switch {
	case p.sync.err != "":
		var out []string
		for _, l := range wrap("sync failed: "+p.sync.err, inner-2) {
			out = append(out, "  "+s.Warn.Render(l))
		}
		return out
	case !p.sync.running && p.c.st.Tree().Synced():
		return []string{s.Muted.Render("  (no folders)")}
	}
	return []string{s.Muted.Render("  " + p.c.spin.View() + " syncing…")}
}
