// Package keymap holds every key binding of the dashboard with its help text,
// as data: DefaultKeyMap builds them, Override applies the config file's
// [keys] table (action name -> keys). There is no global mutable keymap; the
// ui gets a KeyMap value in its Options.
package keymap

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
)

// KeyMap is every binding of the dashboard.
type KeyMap struct {
	// Moving around.
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Collapse, Expand                        key.Binding // folder tree
	NextPane, PrevPane                      key.Binding
	Enter, Back                             key.Binding

	// The subscription.
	Subscribe, Unsubscribe, Mode, FolderScope, EventTypes, Resync key.Binding

	// The event list.
	Pause, Filter, Clear, Export key.Binding
	// Copy puts the selected event's ids on the clipboard; TimeFormat
	// cycles local time, UTC and "3s ago".
	Copy, TimeFormat key.Binding

	// The detail view: the next and the previous event of the list.
	NextEvent, PrevEvent key.Binding

	// General.
	Help, Quit key.Binding

	// Simulator demo actions (only active when running on the simulator).
	SimNewMail, SimMarkRead, SimMarkUnread, SimMoveItem, SimCopyItem    key.Binding
	SimSoftDelete, SimHardDelete                                        key.Binding
	SimCreateFolder, SimRenameFolder, SimMoveFolder, SimDeleteFolder    key.Binding
	SimMeetingRequest, SimSendMail, SimActivity                         key.Binding
	SimFlagItem, SimDumpsterDelete, SimEmptyDeleted, SimFolderToDeleted key.Binding
	SimUpdateAppt, SimAcceptMeeting, SimDeclineMeeting, SimSaveDraft    key.Binding

	// CascadeRef opens the cascade reference: what each action fires on
	// the server profile the dashboard runs on.
	CascadeRef key.Binding
}

// Group is a titled set of actions, for the full help and docs/keys.md.
type Group struct {
	Title   string
	Actions []Action
}

// Action is one named binding. Name is what the config file's [keys] table
// uses; SimAction is the simulator action it fires ("" for others).
type Action struct {
	Name      string
	SimAction string
	Binding   *key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, helpKey, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(helpKey, desc))
	}
	k := func(keys ...string) []string { return keys }
	return KeyMap{
		Up:       b(k("up", "k"), "↑/k", "up"),
		Down:     b(k("down", "j"), "↓/j", "down"),
		PageUp:   b(k("pgup", "ctrl+u"), "pgup", "page up"),
		PageDown: b(k("pgdown", "ctrl+d"), "pgdn", "page down"),
		Top:      b(k("home", "g"), "g/home", "top"),
		Bottom:   b(k("end", "G"), "G/end", "newest"),
		Collapse: b(k("left", "h"), "←/h", "collapse"),
		Expand:   b(k("right", "l"), "→/l", "expand"),
		NextPane: b(k("tab"), "tab", "next pane"),
		PrevPane: b(k("shift+tab"), "shift+tab", "previous pane"),
		Enter:    b(k("enter"), "enter", "expand / open detail"),
		Back:     b(k("esc"), "esc", "back"),

		Subscribe:   b(k("s"), "s", "subscribe"),
		Unsubscribe: b(k("u"), "u", "unsubscribe"),
		Mode:        b(k("m"), "m", "streaming ↔ pull"),
		FolderScope: b(k("f"), "f", "folder only / all"),
		EventTypes:  b(k("e"), "e", "choose event types"),
		Resync:      b(k("r"), "r", "resync folders"),

		Pause:  b(k("space"), "space", "pause / follow"),
		Filter: b(k("/"), "/", "filter"),
		Clear:  b(k("c"), "c", "clear list"),
		Export: b(k("x"), "x", "export NDJSON"),

		Copy:       b(k("y"), "y", "copy ids"),
		TimeFormat: b(k("t"), "t", "local / UTC / ago"),
		NextEvent:  b(k("n"), "n", "next event"),
		PrevEvent:  b(k("p"), "p", "previous event"),

		Help: b(k("?"), "?", "help"),
		Quit: b(k("q", "ctrl+c"), "q", "quit"),

		SimNewMail:        b(k("1"), "1", "new mail"),
		SimMarkRead:       b(k("2"), "2", "mark read"),
		SimMarkUnread:     b(k("@"), "@", "mark unread"),
		SimMoveItem:       b(k("3"), "3", "move mail"),
		SimCopyItem:       b(k("4"), "4", "copy mail"),
		SimSoftDelete:     b(k("5"), "5", "soft delete"),
		SimHardDelete:     b(k("6"), "6", "hard delete"),
		SimCreateFolder:   b(k("7"), "7", "create folder"),
		SimMoveFolder:     b(k("8"), "8", "move folder"),
		SimDeleteFolder:   b(k("9"), "9", "delete folder"),
		SimRenameFolder:   b(k("="), "=", "rename folder"),
		SimMeetingRequest: b(k("0"), "0", "meeting request"),
		SimSendMail:       b(k("-"), "-", "send mail"),
		SimActivity:       b(k("a"), "a", "activity on/off"),

		SimFlagItem:        b(k("!"), "!", "flag mail"),
		SimDumpsterDelete:  b(k("%"), "%", "delete to Recoverable Items"),
		SimEmptyDeleted:    b(k("^"), "^", "empty Deleted Items"),
		SimFolderToDeleted: b(k("("), "(", "folder to Deleted Items"),
		SimUpdateAppt:      b(k(")"), ")", "update appointment"),
		SimAcceptMeeting:   b(k("["), "[", "accept meeting"),
		SimDeclineMeeting:  b(k("]"), "]", "decline meeting"),
		SimSaveDraft:       b(k("_"), "_", "save draft"),

		CascadeRef: b(k("C"), "C", "cascade reference"),
	}
}

// Groups lists every action by group, in the order help shows them.
func (km *KeyMap) Groups() []Group {
	a := func(name string, b *key.Binding) Action { return Action{Name: name, Binding: b} }
	sim := func(name string, b *key.Binding) Action {
		return Action{Name: "sim-" + name, SimAction: name, Binding: b}
	}
	return []Group{
		{"Navigate", []Action{
			a("up", &km.Up), a("down", &km.Down), a("page-up", &km.PageUp), a("page-down", &km.PageDown),
			a("top", &km.Top), a("bottom", &km.Bottom), a("collapse", &km.Collapse), a("expand", &km.Expand),
			a("next-pane", &km.NextPane), a("prev-pane", &km.PrevPane), a("enter", &km.Enter), a("back", &km.Back),
		}},
		{"Subscription", []Action{
			a("subscribe", &km.Subscribe), a("unsubscribe", &km.Unsubscribe), a("mode", &km.Mode),
			a("folder-scope", &km.FolderScope), a("event-types", &km.EventTypes), a("resync", &km.Resync),
		}},
		{"Events", []Action{
			a("pause", &km.Pause), a("filter", &km.Filter), a("clear", &km.Clear), a("export", &km.Export),
			a("copy", &km.Copy), a("time-format", &km.TimeFormat),
			a("cascade-reference", &km.CascadeRef), a("help", &km.Help), a("quit", &km.Quit),
		}},
		{"Event detail", []Action{
			a("next-event", &km.NextEvent), a("prev-event", &km.PrevEvent),
		}},
		{"Simulator", []Action{
			sim("new-mail", &km.SimNewMail), sim("mark-read", &km.SimMarkRead),
			sim("mark-unread", &km.SimMarkUnread), sim("move-item", &km.SimMoveItem),
			sim("copy-item", &km.SimCopyItem), sim("soft-delete", &km.SimSoftDelete),
			sim("hard-delete", &km.SimHardDelete), sim("create-folder", &km.SimCreateFolder),
			sim("rename-folder", &km.SimRenameFolder), sim("move-folder", &km.SimMoveFolder),
			sim("delete-folder", &km.SimDeleteFolder), sim("meeting-request", &km.SimMeetingRequest),
			sim("send-mail", &km.SimSendMail), sim("flag-item", &km.SimFlagItem),
			sim("dumpster-delete", &km.SimDumpsterDelete), sim("empty-deleted-items", &km.SimEmptyDeleted),
			sim("folder-to-deleted-items", &km.SimFolderToDeleted), sim("update-appointment", &km.SimUpdateAppt),
			sim("accept-meeting", &km.SimAcceptMeeting), sim("decline-meeting", &km.SimDeclineMeeting),
			sim("save-draft", &km.SimSaveDraft), {Name: "sim-activity", Binding: &km.SimActivity},
		}},
	}
}

// SimActions are the demo-action bindings, each with the simulator action it fires.
func (km *KeyMap) SimActions() []Action {
	var out []Action
	for _, g := range km.Groups() {
		for _, a := range g.Actions {
			if a.SimAction != "" {
				out = append(out, a)
			}
		}
	}
	return out
}

// ActionNames are the names Override accepts, sorted.
func (km *KeyMap) ActionNames() []string {
	var names []string
	for _, g := range km.Groups() {
		for _, a := range g.Actions {
			names = append(names, a.Name)
		}
	}
	sort.Strings(names)
	return names
}

// SetSimEnabled enables or disables the simulator bindings (they do nothing,
// and are not shown, unless the dashboard runs on the simulator).
func (km *KeyMap) SetSimEnabled(on bool) {
	for _, g := range km.Groups() {
		if g.Title != "Simulator" {
			continue
		}
		for _, a := range g.Actions {
			a.Binding.SetEnabled(on)
		}
	}
}

// Override replaces the keys of the named actions (the config file's [keys]
// table). An unknown action name, an empty key list or an empty key is an
// error naming it; on error nothing is changed. The help text shows the new
// keys.
func (km *KeyMap) Override(m map[string][]string) error {
	byName := map[string]*key.Binding{}
	for _, g := range km.Groups() {
		for _, a := range g.Actions {
			byName[a.Name] = a.Binding
		}
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := byName[n]; !ok {
			return fmt.Errorf("keys: unknown action %q (known actions: %s)", n, strings.Join(km.ActionNames(), ", "))
		}
		if len(m[n]) == 0 {
			return fmt.Errorf("keys: action %q has no keys", n)
		}
		for _, k := range m[n] {
			if strings.TrimSpace(k) == "" {
				return fmt.Errorf("keys: action %q has an empty key", n)
			}
		}
	}
	for _, n := range names {
		b := byName[n]
		keys := append([]string(nil), m[n]...)
		b.SetKeys(keys...)
		b.SetHelp(strings.Join(keys, "/"), b.Help().Desc)
	}
	return nil
}

// Conflicts lists keys bound to more than one action, as "key: a, b" lines,
// sorted (for a warning after Override; the pane-local navigation keys may
// share keys with nothing else).
func (km *KeyMap) Conflicts() []string {
	owners := map[string][]string{}
	for _, g := range km.Groups() {
		for _, a := range g.Actions {
			for _, k := range a.Binding.Keys() {
				owners[k] = append(owners[k], a.Name)
			}
		}
	}
	var out []string
	for k, names := range owners {
		if len(names) > 1 {
			sort.Strings(names)
			out = append(out, k+": "+strings.Join(names, ", "))
		}
	}
	sort.Strings(out)
	return out
}

// Markdown renders the bindings as one Markdown table per group (docs/keys.md
// holds this text; a test keeps them in step).
func (km *KeyMap) Markdown() string {
	var b strings.Builder
	for _, g := range km.Groups() {
		fmt.Fprintf(&b, "### %s\n\n| keys | action name | does |\n| --- | --- | --- |\n", g.Title)
		for _, a := range g.Actions {
			keys := make([]string, 0, len(a.Binding.Keys()))
			for _, k := range a.Binding.Keys() {
				if k == "|" {
					k = `\|`
				}
				keys = append(keys, "`"+k+"`")
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s |\n", strings.Join(keys, " "), a.Name, a.Binding.Help().Desc)
		}
		b.WriteString("\n")
	}
	return b.String()
}
