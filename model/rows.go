package model

import "sort"

// Row is one line of the event list: a cascade header (Entry nil) or, when
// the cascade is expanded, one of its entries that match the filter.
type Row struct {
	Cascade *Cascade
	Entry   *Entry
}

// IsHeader reports whether the row is a cascade header.
func (r Row) IsHeader() bool { return r.Entry == nil }

// The visible list is the sequence of cascades with at least one entry
// matching the filter, oldest first. Each visible cascade c occupies the
// absolute rows [c.row, next.row): its header, then its matching entries if
// it is expanded. Row numbers seen by callers are absolute minus rowBase.
// Eviction only touches the front, so it moves rowBase instead of
// renumbering; appends only touch the back. Only toggling a cascade that is
// not the newest renumbers the cascades after it.

// RowCount is the number of rows of the event list.
func (s *State) RowCount() int { return s.rowEnd - s.rowBase }

// rowStart is the absolute first row of the i-th visible cascade.
func (s *State) rowStart(i int) int {
	if i == 0 {
		return s.rowBase
	}
	return s.visible.at(i).row
}

func (s *State) rowStop(i int) int {
	if i+1 < s.visible.len() {
		return s.visible.at(i + 1).row
	}
	return s.rowEnd
}

// Rows returns up to n rows from row start (0 is the oldest). Its cost is
// O(n + log cascades), independent of how many events are retained.
func (s *State) Rows(start, n int) []Row {
	total := s.RowCount()
	if start < 0 {
		start = 0
	}
	if n <= 0 || start >= total {
		return nil
	}
	if n > total-start {
		n = total - start
	}
	abs := s.rowBase + start
	nv := s.visible.len()
	i := sort.Search(nv, func(i int) bool { return s.rowStart(i) > abs }) - 1
	out := make([]Row, 0, n)
	for len(out) < n {
		c := s.visible.at(i)
		off := abs - s.rowStart(i)
		stop := s.rowStop(i)
		for abs < stop && len(out) < n {
			if off == 0 {
				out = append(out, Row{Cascade: c})
			} else {
				out = append(out, Row{Cascade: c, Entry: c.vis[off-1]})
			}
			off++
			abs++
		}
		i++
	}
	return out
}

// RowOf returns the row of a cascade's header, or false when the cascade is
// not in the list (evicted, or filtered out).
func (s *State) RowOf(cascadeID uint64) (int, bool) {
	i, ok := s.visibleIndex(cascadeID)
	if !ok {
		return 0, false
	}
	return s.rowStart(i) - s.rowBase, true
}

func (s *State) visibleIndex(cascadeID uint64) (int, bool) {
	c := s.byID[cascadeID]
	if c == nil || !c.visible {
		return 0, false
	}
	// Visible cascades are in ID order.
	nv := s.visible.len()
	i := sort.Search(nv, func(i int) bool { return s.visible.at(i).ID >= cascadeID })
	if i < nv && s.visible.at(i) == c {
		return i, true
	}
	return 0, false
}

// Expanded reports whether the cascade shows its entries.
func (s *State) Expanded(cascadeID uint64) bool {
	c := s.byID[cascadeID]
	return c != nil && c.expanded
}

// ToggleExpanded expands or collapses a cascade.
func (s *State) ToggleExpanded(cascadeID uint64) {
	if c := s.byID[cascadeID]; c != nil {
		s.SetExpanded(cascadeID, !c.expanded)
	}
}

// SetExpanded expands or collapses a cascade.
func (s *State) SetExpanded(cascadeID uint64, expanded bool) {
	c := s.byID[cascadeID]
	if c == nil || c.expanded == expanded {
		return
	}
	c.expanded = expanded
	i, ok := s.visibleIndex(cascadeID)
	if !ok {
		return
	}
	delta := len(c.vis)
	if !expanded {
		delta = -delta
	}
	for j := i + 1; j < s.visible.len(); j++ {
		s.visible.at(j).row += delta
	}
	s.rowEnd += delta
}

// VisibleCount is the number of the cascade's entries that match the filter.
func (s *State) VisibleCount(c *Cascade) int { return len(c.vis) }

// LastVisible is the newest of the cascade's entries that match the filter
// (nil when none does).
func (s *State) LastVisible(c *Cascade) *Entry {
	if len(c.vis) == 0 {
		return nil
	}
	return c.vis[len(c.vis)-1]
}

// showEntry adds a matching entry of the newest cascade to the visible list.
func (s *State) showEntry(c *Cascade, ent *Entry) {
	if !c.visible {
		c.visible = true
		if s.visible.empty() {
			s.rowBase = s.rowEnd
		}
		c.row = s.rowEnd
		s.visible.push(c)
		s.rowEnd++
	}
	c.vis = append(c.vis, ent)
	if c.expanded {
		s.rowEnd++
	}
}

// hideOldestEntry removes the oldest matching entry of c, the oldest
// cascade, from the visible list.
func (s *State) hideOldestEntry(c *Cascade) {
	c.vis[0] = nil
	c.vis = c.vis[1:]
	if c.expanded {
		s.rowBase++
	}
	if len(c.vis) == 0 {
		s.visible.popFront()
		c.visible = false
		if s.visible.empty() {
			s.rowBase = s.rowEnd
		} else {
			s.rowBase = s.visible.front().row
		}
	}
}

// rebuildVisible recomputes every entry's match and the visible list:
// O(retained events).
func (s *State) rebuildVisible() {
	s.visible.reset()
	s.rowBase, s.rowEnd = 0, 0
	s.shown = 0
	for i := 0; i < s.cascades.len(); i++ {
		c := s.cascades.at(i)
		c.visible = false
		c.vis = c.vis[:0]
		for _, e := range c.Entries {
			e.match = s.match.matches(e)
			if e.match {
				s.shown++
				c.vis = append(c.vis, e)
			}
		}
		if len(c.vis) > 0 {
			c.visible = true
			c.row = s.rowEnd
			s.visible.push(c)
			s.rowEnd++
			if c.expanded {
				s.rowEnd += len(c.vis)
			}
		}
	}
}
