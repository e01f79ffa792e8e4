package model_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// matrixKind is the cascade kind the dashboard must show for an action of
// the matrix, per store and scope: the action's own name where the events
// tell it apart, else the kind the events do say (docs/cascade-rules.md,
// "Where the events cannot tell").
func matrixKind(store, scope, action string) string {
	switch action {
	case "flag-item":
		return "item-changed" // any property change fires the same two events
	case "copy-item":
		if store == sim.Store2013 {
			return "item-created" // a CreatedEvent, not a CopiedEvent (Microsoft's figure)
		}
	case "dumpster-delete":
		if store == sim.Store2010 || scope == sim.ScopeAll {
			return "hard-delete" // the deletion table gives the same events as a hard delete
		}
	case "empty-deleted-items":
		return "hard-delete"
	}
	return action
}

// TestMatrixGroupsAsOneCascade: for every profile × scope × action of the
// matrix, the events the simulator fires group into exactly one cascade of
// the expected kind, with a label that names no folder by hash.
func TestMatrixGroupsAsOneCascade(t *testing.T) {
	for _, p := range sim.Profiles {
		for _, r := range sim.Matrix {
			for _, scope := range []string{sim.ScopeFolders, sim.ScopeAll} {
				t.Run(fmt.Sprintf("%s/%s/%s", p.Name, r.Action, scope), func(t *testing.T) {
					rig := newProfileRig(t, p.Name)
					for _, pr := range r.Prepare {
						pres, err := rig.srv.Act(rig.ctx, pr)
						if err != nil {
							t.Fatal(err)
						}
						evs := pres.Events
						if scope == sim.ScopeFolders {
							evs = pres.FolderEvents
						}
						rig.s.Apply(ews.Update{At: rig.clock.Now(), State: ews.StateOpen, Mode: ews.ModeStreaming, Events: evs})
						rig.clock.Advance(10 * time.Second)
					}
					rig.resolve()
					rig.sync()
					before := rig.s.RowCount()
					res, err := rig.srv.Act(rig.ctx, sim.ActionRequest{Action: r.Action, Folder: r.Folder, To: r.To})
					if err != nil {
						t.Fatal(err)
					}
					evs := res.Events
					if scope == sim.ScopeFolders {
						evs = res.FolderEvents
					}
					rig.s.Apply(ews.Update{At: rig.clock.Now(), State: ews.StateOpen, Mode: ews.ModeStreaming, Events: evs})
					rig.resolve()
					rig.sync()
					rows := rig.s.Rows(before, rig.s.RowCount()-before)
					var got []string
					for _, row := range rows {
						got = append(got, fmt.Sprintf("%s %q", row.Cascade.Kind, rig.s.Label(row.Cascade)))
					}
					want := matrixKind(p.Store(), scope, r.Action)
					if len(rows) != 1 || string(rows[0].Cascade.Kind) != want {
						var evd []string
						for _, e := range evs {
							evd = append(evd, fmt.Sprintf("%s(%s %s)", e.Type.Short(), rig.s.Tree().Name(e.ItemId.Id+e.FolderId.Id), rig.s.Tree().Name(e.ParentFolderId.Id)))
						}
						t.Fatalf("events %s\ngrouped as %s, want one %s cascade", strings.Join(evd, " "), strings.Join(got, ", "), want)
					}
					if l := rig.s.Label(rows[0].Cascade); strings.Contains(l, "#") {
						t.Errorf("label %q names a folder by hash", l)
					}
				})
			}
		}
	}
}

// newProfileRig is newSimRig on a server profile, with a second mailbox (the
// organizer of meeting requests).
func newProfileRig(t *testing.T, profile string) *simRig {
	t.Helper()
	return newSimRigConfig(t, sim.Config{Server: profile, Seed: 1, Mailboxes: []string{"alice@example.com", "bob@example.com"}})
}
