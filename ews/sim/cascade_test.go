package sim

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ewsmon/ewsmon/ews"
)

// describe renders an event in the spec's notation, naming folders.
func describe(ev ews.Event, name func(string) string) string {
	obj := "item"
	where := name(ev.ParentFolderId.Id)
	if ev.IsFolderEvent() {
		obj = "folder"
		where = name(ev.FolderId.Id)
		if ev.Type == ews.CreatedEvent || ev.Type == ews.DeletedEvent || (ev.Type == ews.ModifiedEvent && ev.UnreadCount == nil) {
			where += "<-" + name(ev.ParentFolderId.Id)
		}
		if ev.Type == ews.MovedEvent {
			where += "<-" + name(ev.ParentFolderId.Id) + "<-" + name(ev.OldParentFolderId.Id)
		}
	} else if ev.Type == ews.MovedEvent || ev.Type == ews.CopiedEvent {
		where += "<-" + name(ev.OldParentFolderId.Id)
	}
	return string(ev.Type) + " " + obj + " " + where
}

// matchSpec compares described events with the spec, binding $X names.
func matchSpec(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	bind := map[string]string{}
	for i := range want {
		gw, ww := strings.SplitN(got[i], " ", 3), strings.SplitN(want[i], " ", 3)
		if gw[0] != ww[0] || gw[1] != ww[1] {
			return false
		}
		gp, wp := strings.Split(gw[2], "<-"), strings.Split(ww[2], "<-")
		if len(gp) != len(wp) {
			return false
		}
		for j := range wp {
			if strings.HasPrefix(wp[j], "$") {
				if b, ok := bind[wp[j]]; ok && b != gp[j] {
					return false
				}
				bind[wp[j]] = gp[j]
			} else if wp[j] != gp[j] {
				return false
			}
		}
	}
	return true
}

// folderNamer maps folder ids (including deleted ones seen before) to
// display names.
func (e *env) folderNamer() func(string) string {
	names := map[string]string{}
	snap := func() {
		e.s.mu.Lock()
		for id, f := range e.s.folders {
			names[id] = f.name
		}
		e.s.mu.Unlock()
	}
	snap()
	return func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		snap()
		if n, ok := names[id]; ok {
			return n
		}
		return "?" + id
	}
}

// runScenario runs a matrix row's scenario in a fresh simulator of the
// profile and returns the action's result and a folder namer.
func runScenario(t *testing.T, p *Profile, r MatrixRow) (ActionResult, func(string) string, *env) {
	t.Helper()
	e := newEnv(t, Config{Server: p.Name, Mailboxes: []string{"alice@example.com", "bob@example.com"}})
	for _, pr := range r.Prepare {
		if _, err := e.s.Act(context.Background(), pr); err != nil {
			t.Fatalf("%s: prepare %s: %v", r.Action, pr.Action, err)
		}
	}
	name := e.folderNamer()
	res, err := e.s.Act(context.Background(), ActionRequest{Action: r.Action, Folder: r.Folder, To: r.To})
	if err != nil {
		t.Fatalf("%s: %v", r.Action, err)
	}
	return res, name, e
}

// TestCascadesMatchTheMatrix: every profile × scope × action fires exactly
// the matrix's events, in order.
func TestCascadesMatchTheMatrix(t *testing.T) {
	t.Parallel()
	if len(Matrix) != len(Actions) {
		t.Fatalf("the matrix has %d rows for %d actions", len(Matrix), len(Actions))
	}
	for i, r := range Matrix {
		if r.Action != Actions[i] {
			t.Fatalf("matrix row %d is %s, Actions[%d] is %s", i, r.Action, i, Actions[i])
		}
	}
	for _, p := range Profiles {
		for _, r := range Matrix {
			res, name, _ := runScenario(t, p, r)
			for _, scope := range []string{ScopeFolders, ScopeAll} {
				c := r.Cell(p.Store(), scope)
				if c == nil {
					t.Errorf("%s %s %s: no matrix cell", p.Name, r.Action, scope)
					continue
				}
				if !strings.HasPrefix(c.Source, "modelled") && !strings.HasPrefix(c.Source, "Microsoft") {
					t.Errorf("%s %s: source %q neither cites Microsoft nor says modelled", p.Name, r.Action, c.Source)
				}
				evs := res.Events
				if scope == ScopeFolders {
					evs = res.FolderEvents
				}
				var got []string
				for _, ev := range evs {
					got = append(got, describe(ev, name))
				}
				if !matchSpec(got, c.Events) {
					t.Errorf("%s %s to %s fired\n  %s\nwant\n  %s", p.Name, r.Action, scope, strings.Join(got, "\n  "), strings.Join(c.Events, "\n  "))
				}
				for _, ev := range evs {
					if !ev.TimeStamp.Equal(evs[0].TimeStamp) {
						t.Errorf("%s %s: events with different timestamps", p.Name, r.Action)
					}
					if ev.Watermark == "" || ev.TimeStamp.IsZero() {
						t.Errorf("%s %s: event %s without watermark or timestamp", p.Name, r.Action, ev.Type)
					}
					if ev.Type == ews.ModifiedEvent && ev.IsFolderEvent() && r.Action != "rename-folder" && ev.UnreadCount == nil {
						t.Errorf("%s %s: folder ModifiedEvent without UnreadCount", p.Name, r.Action)
					}
				}
			}
		}
	}
}

// TestCascadesDoc: docs/cascades.md is the matrix rendered; -update
// rewrites it.
func TestCascadesDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "cascades.md")
	want := CascadesDoc()
	if *updateDocs {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("docs/cascades.md is not the matrix rendered: run go test ./ews/sim -run TestCascadesDoc -update")
	}
}

var updateDocs = flag.Bool("update", false, "rewrite docs/cascades.md from the matrix")

// Every action Act accepts has something to perform, and nothing can be
// performed that Actions (the list users and the matrix see) does not name.
func TestEveryActionIsPerformed(t *testing.T) {
	if len(perform) != len(Actions) {
		t.Errorf("%d actions performed, %d listed", len(perform), len(Actions))
	}
	for _, a := range Actions {
		if perform[a] == nil {
			t.Errorf("action %s has nothing to perform", a)
		}
	}
}
