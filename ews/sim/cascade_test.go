package sim

import (
	"strings"
	"testing"

	"github.com/ewsmon/ewsmon/ews"
)

// cascadeSpec is docs/cascades.md as data: per action, each event as
// "Type object where", where is the item's folder or the folder itself,
// "A<-B" for moves and copies (new parent <- old parent). $X names a folder
// the action picks at random; it must be the same folder wherever it recurs.
var cascadeSpec = []struct {
	action, folder string
	events         []string
}{
	{"new-mail", "", []string{"CreatedEvent item Inbox", "NewMailEvent item Inbox", "ModifiedEvent folder Inbox"}},
	{"mark-read", "inbox", []string{"ModifiedEvent item Inbox", "ModifiedEvent folder Inbox"}},
	{"mark-unread", "inbox", []string{"ModifiedEvent item Inbox", "ModifiedEvent folder Inbox"}},
	{"move-item", "inbox", []string{"MovedEvent item $D<-Inbox", "ModifiedEvent folder Inbox", "ModifiedEvent folder $D"}},
	{"copy-item", "inbox", []string{"CopiedEvent item $D<-Inbox", "ModifiedEvent folder $D"}},
	{"soft-delete", "inbox", []string{"MovedEvent item Deleted Items<-Inbox", "ModifiedEvent folder Inbox", "ModifiedEvent folder Deleted Items"}},
	{"hard-delete", "inbox", []string{"DeletedEvent item Inbox", "ModifiedEvent folder Inbox"}},
	{"create-folder", "inbox", []string{"CreatedEvent folder $F<-Inbox", "ModifiedEvent folder Inbox"}},
	{"rename-folder", "Beta", []string{"ModifiedEvent folder $F<-Projects"}},
	{"move-folder", "Receipts", []string{"MovedEvent folder $F<-$D<-Inbox", "ModifiedEvent folder Inbox", "ModifiedEvent folder $D"}},
	{"delete-folder", "Alpha", []string{"DeletedEvent folder Alpha<-Projects", "ModifiedEvent folder Projects"}},
	{"meeting-request", "", []string{"CreatedEvent item Inbox", "NewMailEvent item Inbox", "ModifiedEvent folder Inbox",
		"CreatedEvent item Calendar", "ModifiedEvent folder Calendar", "FreeBusyChangedEvent item Calendar"}},
	{"send-mail", "", []string{"CreatedEvent item Drafts", "ModifiedEvent folder Drafts",
		"MovedEvent item Sent Items<-Drafts", "ModifiedEvent folder Drafts", "ModifiedEvent folder Sent Items"}},
}

// describe renders an event in the spec's notation, naming folders.
func (e *env) describe(ev ews.Event, name func(string) string) string {
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

func TestCascadesMatchTheDocumentedTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	name := e.folderNamer()
	for _, c := range cascadeSpec {
		res := e.act(c.action, c.folder)
		var got []string
		for _, ev := range res.Events {
			got = append(got, e.describe(ev, name))
		}
		if !matchSpec(got, c.events) {
			t.Errorf("%s fired\n  %s\nwant\n  %s", c.action, strings.Join(got, "\n  "), strings.Join(c.events, "\n  "))
		}
		for _, ev := range res.Events {
			if !ev.TimeStamp.Equal(res.Events[0].TimeStamp) {
				t.Errorf("%s: events with different timestamps", c.action)
			}
			if ev.Watermark == "" || ev.TimeStamp.IsZero() {
				t.Errorf("%s: event %s without watermark or timestamp", c.action, ev.Type)
			}
			if ev.Type == ews.ModifiedEvent && ev.IsFolderEvent() && c.action != "rename-folder" && ev.UnreadCount == nil {
				t.Errorf("%s: folder ModifiedEvent without UnreadCount", c.action)
			}
		}
		name = e.folderNamer() // new folders get names
	}
}
