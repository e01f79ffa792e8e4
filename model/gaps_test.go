package model_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/model"
)

// A gap is a cascade of its own, with the changes found across it under it;
// the events after it do not join it, filters never hide it, and the
// status counts it.
func TestGapAndReconciledRows(t *testing.T) {
	s := newState(model.Config{})
	mailDay(s)
	t3 := t0.Add(3 * time.Minute)
	g := &ews.Gap{ID: 1, From: t3, To: t3.Add(2500 * time.Millisecond), Reason: "subscription lost (ErrorSubscriptionNotFound)"}
	s.Apply(ews.Update{At: g.To, Gaps: 1, Gap: g})
	read := true
	s.Apply(ews.Update{At: g.To.Add(time.Second), Gaps: 1, Reconciled: &ews.Reconciliation{GapID: 1, Folders: 3, Changed: 1, Changes: []ews.ReconciledChange{
		{Change: ews.ChangeCreate, ItemId: iid("m9"), FolderId: fid(inbox), Subject: "Lunch?"},
		{Change: ews.ChangeReadFlag, ItemId: iid("m1b"), FolderId: fid(archive), IsRead: &read},
		{Change: ews.ChangeUpdate, FolderId: fid(projects)},
	}}})
	t4 := t3.Add(time.Minute)
	s.Apply(ews.Update{At: t4, Events: at(t4, ICreated("m2", inbox), INewMail("m2", inbox), FModified(inbox, root, 1))})

	gapRow := s.Rows(3, 1)[0]
	if gapRow.Cascade.Kind != model.KindGap {
		t.Fatalf("row 3 is %v, want the gap", gapRow.Cascade.Kind)
	}
	s.ToggleExpanded(gapRow.Cascade.ID)
	want := []string{
		"▾ Possible gap 01:03:00 – 01:03:02: subscription lost (ErrorSubscriptionNotFound) · 3 reconciled changes (4)",
		"  01:03:00 Gap      01:03:00 – 01:03:02 (2.5s): subscription lost (ErrorSubscriptionNotFound)",
		"  01:03:03 ≈Create  Lunch?         Inbox",
		"  01:03:03 ≈ReadFlagChange item … Archive read",
		"  01:03:03 ≈Update  folder Projects Projects",
		"▸ New mail in Inbox (3)",
	}
	got := screen(s, 3, 100)
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[5] != want[5] {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i, frag := range []string{"≈ReadFlagChange", "Archive", "read"} {
		if !strings.Contains(got[3], frag) {
			t.Errorf("reconciled read-flag row %q lacks %q (%d)", got[3], frag, i)
		}
	}
	st := s.Status()
	if st.Gaps != 1 || st.GapsSeen != 1 || st.Reconciled != 3 || st.Events != 11 {
		t.Errorf("status gaps %d seen %d reconciled %d events %d", st.Gaps, st.GapsSeen, st.Reconciled, st.Events)
	}
	// A filter for NewMail hides the other cascades but not the gap.
	s.SetFilter(model.Filter{Types: map[ews.EventType]bool{ews.NewMailEvent: true}})
	labels := []string{}
	for _, r := range s.Rows(0, 100) {
		if r.IsHeader() {
			labels = append(labels, s.Label(r.Cascade))
		}
	}
	if !slices.ContainsFunc(labels, func(l string) bool { return strings.HasPrefix(l, "Possible gap") }) {
		t.Errorf("filtered list hides the gap: %q", labels)
	}
}

// Changes that arrive after other events are listed as a cascade that names
// the gap; a reconciliation with nothing found and an error says so.
func TestReconciledAfterOtherEvents(t *testing.T) {
	s := newState(model.Config{})
	g := &ews.Gap{ID: 4, From: t0, To: t0.Add(time.Second), Reason: "the stream broke"}
	s.Apply(ews.Update{At: g.To, Gaps: 4, Gap: g})
	s.Apply(ews.Update{At: g.To, Events: at(g.To, ICreated("m2", inbox))})
	s.Apply(ews.Update{At: g.To, Reconciled: &ews.Reconciliation{GapID: 4, Changes: []ews.ReconciledChange{{Change: ews.ChangeDelete, ItemId: iid("m1"), FolderId: fid(inbox)}}}})
	s.Apply(ews.Update{At: g.To, Gaps: 5, Gap: &ews.Gap{ID: 5, From: t0.Add(time.Minute), To: t0.Add(61 * time.Second), Reason: "x"}})
	s.Apply(ews.Update{At: g.To, Reconciled: &ews.Reconciliation{GapID: 5, Err: errString("no baseline")}})
	s.Apply(ews.Update{At: g.To, Events: at(g.To, ICreated("m3", inbox))})
	s.Apply(ews.Update{At: g.To, Reconciled: &ews.Reconciliation{GapID: 99}})
	var labels []string
	for _, r := range s.Rows(0, 100) {
		labels = append(labels, s.Label(r.Cascade))
	}
	want := []string{
		"Possible gap 01:00:00 – 01:00:01: the stream broke",
		"Mail created in Inbox",
		"Reconciled across the gap 01:00:00 – 01:00:01: the stream broke · 1 reconciled change",
		"Possible gap 01:01:00 – 01:01:01: x · reconciliation incomplete",
		"Mail created in Inbox",
		"Reconciled across gap #99 · reconciled: nothing changed", // a gap this state never saw
	}
	if len(labels) != len(want) {
		t.Fatalf("labels %q", labels)
	}
	for i := range want {
		if !strings.HasPrefix(labels[i], want[i]) {
			t.Errorf("label %d = %q, want %q", i, labels[i], want[i])
		}
	}
	if st := s.Status(); st.Gaps != 5 || st.LastReconcileErr != "no baseline" {
		t.Errorf("status %+v", st)
	}
}

// Gap entries are evicted like events: the log stays bounded.
func TestGapsAreEvicted(t *testing.T) {
	s := newState(model.Config{MaxEvents: 10})
	for i := range 50 {
		at := t0.Add(time.Duration(i) * time.Minute)
		s.Apply(ews.Update{At: at, Gaps: i + 1, Gap: &ews.Gap{ID: uint64(i + 1), From: at, To: at, Reason: "r"}})
		s.Apply(ews.Update{At: at, Reconciled: &ews.Reconciliation{GapID: uint64(i + 1), Changes: []ews.ReconciledChange{{Change: ews.ChangeCreate, ItemId: iid("x"), FolderId: fid(inbox)}}}})
	}
	if s.Len() != 10 || s.Cascades() > 6 {
		t.Fatalf("%d entries in %d cascades", s.Len(), s.Cascades())
	}
}

type errString string

func (e errString) Error() string { return string(e) }
