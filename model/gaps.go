package model

import (
	"fmt"
	"strings"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// KindGap is the cascade of a gap: an interval in which events may have
// been missed (ews.Gap), its first entry the gap itself, then the changes
// that reconciliation found across it (ews.Reconciliation).
const KindGap CascadeKind = "gap"

// maxRecentGaps bounds the gaps remembered for the reconciliations that
// come after other events (their cascade names the gap).
const maxRecentGaps = 64

// applyGap lists a gap as a cascade of its own: nothing joins it but its
// reconciled changes.
func (s *State) applyGap(g *ews.Gap, at time.Time) {
	s.status.GapsSeen++
	if len(s.recentGaps) >= maxRecentGaps {
		clear(s.recentGaps)
	}
	s.recentGaps[g.ID] = g
	s.open = nil
	s.nextCascade++
	c := &Cascade{ID: s.nextCascade, Kind: KindGap, Gap: g}
	s.cascades.push(c)
	s.byID[c.ID] = c
	s.appendSynthetic(c, &Entry{Gap: g, Received: at})
}

// applyReconciled lists what changed across a gap under the gap's cascade
// when it is still the newest (the runner reports both in a row), else as a
// cascade of its own that names the gap.
func (s *State) applyReconciled(rc *ews.Reconciliation, at time.Time) {
	if rc.Err != nil {
		s.status.LastReconcileErr = rc.Err.Error()
	}
	s.status.Reconciled += len(rc.Changes)
	var c *Cascade
	if !s.cascades.empty() {
		if b := s.cascades.back(); b.Gap != nil && b.Gap.ID == rc.GapID && b.Recon == nil {
			c = b
		}
	}
	if c == nil {
		s.nextCascade++
		g := s.recentGaps[rc.GapID]
		if g == nil {
			g = &ews.Gap{ID: rc.GapID}
		}
		c = &Cascade{ID: s.nextCascade, Kind: KindGap, Gap: g, orphan: true}
		s.cascades.push(c)
		s.byID[c.ID] = c
	}
	c.Recon = rc
	s.open = nil
	for i := range rc.Changes {
		s.appendSynthetic(c, &Entry{Recon: &rc.Changes[i], Received: at})
	}
	if len(c.Entries) == 0 {
		// Nothing to list and no gap row: say that it ran.
		s.appendSynthetic(c, &Entry{Gap: c.Gap, Received: at})
	}
}

// appendSynthetic logs a gap or reconciled entry: it always matches the
// filter (a gap hides events of every kind) and counts as no event.
func (s *State) appendSynthetic(c *Cascade, ent *Entry) {
	s.seq++
	ent.Seq = s.seq
	ent.CascadeID = c.ID
	ent.prevUnread = -1
	ent.match = true
	s.entries.push(ent)
	s.matched++
	s.shown++
	c.Entries = append(c.Entries, ent)
	if c.First.IsZero() || ent.Received.Before(c.First) {
		c.First = ent.Received
	}
	if ent.Received.After(c.Last) {
		c.Last = ent.Received
	}
	if ent.Gap != nil && !ent.Gap.From.IsZero() {
		c.First = ent.Gap.From
	}
	s.showEntry(c, ent)
	for s.entries.len() > s.cfg.MaxEvents {
		s.evictOldest()
	}
}

// gapLabel is a gap cascade's header: "Possible gap 17:04:12 – 17:04:15:
// subscription lost · 3 reconciled changes".
func (s *State) gapLabel(c *Cascade) string {
	var b strings.Builder
	g := c.Gap
	switch {
	case c.orphan && g.From.IsZero():
		fmt.Fprintf(&b, "Reconciled across gap #%d", g.ID)
	case c.orphan:
		loc := s.cfg.Location
		fmt.Fprintf(&b, "Reconciled across the gap %s – %s: %s", g.From.In(loc).Format("15:04:05"), g.To.In(loc).Format("15:04:05"), g.Reason)
	default:
		loc := s.cfg.Location
		fmt.Fprintf(&b, "Possible gap %s – %s: %s", g.From.In(loc).Format("15:04:05"), g.To.In(loc).Format("15:04:05"), g.Reason)
	}
	if rc := c.Recon; rc != nil {
		switch n := len(rc.Changes); {
		case n == 1:
			b.WriteString(" · 1 reconciled change")
		case n > 1:
			fmt.Fprintf(&b, " · %d reconciled changes", n)
		case rc.Err == nil:
			b.WriteString(" · reconciled: nothing changed")
		}
		if rc.Truncated {
			b.WriteString(" (more not listed)")
		}
		if rc.Err != nil {
			b.WriteString(" · reconciliation incomplete")
		}
	}
	return b.String()
}

// gapColumns are the list columns of a gap or reconciled entry.
func (s *State) gapColumns(e *Entry) Columns {
	var col Columns
	loc := s.cfg.Location
	if g := e.Gap; g != nil {
		col.Type = "Gap"
		if !g.From.IsZero() {
			col.Time = g.From.In(loc).Format("15:04:05")
			col.Object = fmt.Sprintf("%s – %s (%s)", g.From.In(loc).Format("15:04:05"), g.To.In(loc).Format("15:04:05"), roundDur(g.To.Sub(g.From)))
		} else if !e.Received.IsZero() {
			col.Time = e.Received.In(loc).Format("15:04:05")
		}
		if g.Reason != "" {
			col.Object += ": " + g.Reason
		}
		return col
	}
	r := e.Recon
	if !e.Received.IsZero() {
		col.Time = e.Received.In(loc).Format("15:04:05")
	}
	col.Type = "≈" + string(r.Change)
	switch {
	case r.ItemId.Id != "" && r.Subject != "":
		col.Object = r.Subject
	case r.ItemId.Id != "":
		col.Object = "item " + shortID(r.ItemId.Id)
	default:
		col.Object = "folder " + s.tree.Name(r.FolderId.Id)
	}
	col.Folder = s.tree.Name(r.FolderId.Id)
	if r.IsRead != nil {
		if *r.IsRead {
			col.Extras = "read"
		} else {
			col.Extras = "unread"
		}
	}
	return col
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
