package sim

import (
	"fmt"
	"strings"
)

// The cascade matrix: for every action, per store generation (Exchange 2010
// or the Exchange 2013 store that 2016, 2019 and Online share) and per
// subscription scope, the events the action fires, in order, each cell with
// where it comes from. docs/cascades.md is rendered from it (CascadesDoc),
// the dashboard's cascade reference shows it, and the simulator's tests check
// that every profile fires exactly this, in-process and over the wire.

// Sources cited by the cells.
const (
	srcDeletionTable = "Microsoft, \"Pull notifications for EWS deletion-related mailbox events in Exchange\", table 1"
	srcFigure        = "Microsoft, \"Notification subscriptions, mailbox events, and EWS in Exchange\", figure 1 (Exchange 2013)"
	srcSample        = "Microsoft's published GetStreamingEvents sample (shared/ews-samples/getstreamingevents-created-newmail-modified.xml, Exchange 2013)"
	srcModifiedRef   = "Microsoft, ModifiedEvent reference: \"Two modified events are generated for each modification of an item in a folder\""
	srcFolderMove    = "Microsoft, \"Notification subscriptions, mailbox events, and EWS in Exchange\": \"in the case of a folder move operation, three folder events are created\""
)

// Scopes of a subscription, as the matrix names them.
const (
	ScopeFolders = "folders" // Subscribe with FolderIds
	ScopeAll     = "all"     // Subscribe with SubscribeToAllFolders="true"
)

// Stores: the event model generations.
const (
	Store2010 = "2010"
	Store2013 = "2013"
)

// MatrixRow is one action: the scenario the tests and the reference run it
// in (a fresh mailbox; Prepare runs first, its events not counted), and the
// cells.
type MatrixRow struct {
	Action  string
	Title   string          // what the action is, in Exchange's terms
	Folder  string          // ActionRequest.Folder of the scenario
	To      string          // ActionRequest.To of the scenario
	Prepare []ActionRequest // run first
	Cells   []MatrixCell
}

// MatrixCell is what one store fires to one scope ("" in Store or Scope:
// every store / both scopes). Events use the notation "Type item|folder
// where": where is the item's parent folder or the folder itself, "A<-B"
// for an item's new <- old parent, "F<-P" for a folder's created, deleted or
// renamed folder and its parent, "F<-P<-O" for a moved folder, its new and
// old parent; $X names a folder the scenario creates or renames.
type MatrixCell struct {
	Store  string
	Scope  string
	Events []string
	Source string // where it comes from, or "modelled: " and the reasoning
}

var (
	newMailEvents = []string{"CreatedEvent item Inbox", "NewMailEvent item Inbox", "ModifiedEvent folder Inbox"}
	noise         = []string{"CreatedEvent item Freebusy Data", "DeletedEvent item Freebusy Data"}
	noiseSource   = "; the free/busy data item written and dropped in the hidden Freebusy Data folder is modelled (its class, IPM.SchedulePlus.FreeBusy.BinaryData, is MS-OXOPFFB's); a subscription naming folder ids never names that folder"
)

func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Matrix is the cascade matrix, in the order of Actions.
var Matrix = []MatrixRow{
	{Action: "new-mail", Title: "a message is delivered to the Inbox", Cells: []MatrixCell{
		{Store: Store2013, Events: newMailEvents, Source: srcSample},
		{Store: Store2010, Events: newMailEvents, Source: "modelled: the Exchange 2013 sample's shape; nothing published for 2010 differs"},
	}},
	{Action: "mark-read", Title: "a message is marked read (UpdateItem IsRead)", Folder: "inbox", Cells: []MatrixCell{
		{Events: []string{"ModifiedEvent item Inbox", "ModifiedEvent folder Inbox"}, Source: srcModifiedRef},
	}},
	{Action: "mark-unread", Title: "a message is marked unread", Folder: "inbox", Prepare: []ActionRequest{{Action: "mark-read", Folder: "inbox"}}, Cells: []MatrixCell{
		{Events: []string{"ModifiedEvent item Inbox", "ModifiedEvent folder Inbox"}, Source: srcModifiedRef},
	}},
	{Action: "flag-item", Title: "a message's follow-up flag is set or cleared (UpdateItem Flag)", Folder: "inbox", Cells: []MatrixCell{
		{Events: []string{"ModifiedEvent item Inbox", "ModifiedEvent folder Inbox"}, Source: srcModifiedRef + " (the folder's UnreadCount does not change)"},
	}},
	{Action: "move-item", Title: "a message is moved to another folder (MoveItem)", Folder: "inbox", To: "Archive", Cells: []MatrixCell{
		{Store: Store2013, Events: []string{"MovedEvent item Archive<-Inbox", "ModifiedEvent item Archive", "ModifiedEvent folder Inbox", "ModifiedEvent folder Archive"},
			Source: srcFigure + ": a move fires a MovedEvent and an item ModifiedEvent; the two folder changes and the order are modelled on the folder move"},
		{Store: Store2010, Events: []string{"MovedEvent item Archive<-Inbox", "ModifiedEvent folder Inbox", "ModifiedEvent folder Archive"},
			Source: "modelled: the deletion table's Exchange 2010 row for a move to Deleted Items, which is a move"},
	}},
	{Action: "copy-item", Title: "a message is copied to another folder (CopyItem)", Folder: "inbox", To: "Archive", Cells: []MatrixCell{
		{Store: Store2013, Events: []string{"CreatedEvent item Archive", "ModifiedEvent folder Archive"}, Source: srcFigure + ": copying fires a CreatedEvent, not a CopiedEvent"},
		{Store: Store2010, Events: []string{"CopiedEvent item Archive<-Inbox", "ModifiedEvent folder Archive"}, Source: "modelled: the CopiedEvent reference (new and old item, new and old parent); nothing published shows 2010 otherwise"},
	}},
	{Action: "soft-delete", Title: "Outlook's Delete: the message goes to Deleted Items (DeleteItem MoveToDeletedItems)", Folder: "inbox", Cells: []MatrixCell{
		{Store: Store2013, Scope: ScopeAll, Events: []string{"DeletedEvent item AllItems", "CreatedEvent item AllItems", "ModifiedEvent folder Inbox", "ModifiedEvent folder Deleted Items"}, Source: srcDeletionTable + ", row \"Move to the Deleted Items folder\", all folders"},
		{Events: []string{"MovedEvent item Deleted Items<-Inbox", "ModifiedEvent folder Inbox", "ModifiedEvent folder Deleted Items"}, Source: srcDeletionTable + ", row \"Move to the Deleted Items folder\""},
	}},
	{Action: "dumpster-delete", Title: "the message goes to Recoverable Items (DeleteItem SoftDelete)", Folder: "inbox", Cells: []MatrixCell{
		{Store: Store2013, Scope: ScopeFolders, Events: []string{"MovedEvent item Deletions<-Inbox", "ModifiedEvent folder Inbox"}, Source: srcDeletionTable + ", row \"Soft delete via the DeleteItem operation\": the item moves to the Deletions folder in the dumpster"},
		{Store: Store2013, Scope: ScopeAll, Events: []string{"DeletedEvent item Inbox", "DeletedEvent item AllItems", "ModifiedEvent folder Inbox"}, Source: srcDeletionTable + ", row \"Soft delete via the DeleteItem operation\", all folders"},
		{Store: Store2010, Events: []string{"DeletedEvent item Inbox", "ModifiedEvent folder Inbox"}, Source: srcDeletionTable + ", row \"Soft delete via the DeleteItem operation\""},
	}},
	{Action: "hard-delete", Title: "the message is deleted permanently (DeleteItem HardDelete)", Folder: "inbox", Cells: []MatrixCell{
		{Store: Store2013, Scope: ScopeAll, Events: []string{"DeletedEvent item Inbox", "DeletedEvent item AllItems", "ModifiedEvent folder Inbox"}, Source: srcDeletionTable + ", row \"Hard delete via the DeleteItem operation\", all folders"},
		{Events: []string{"DeletedEvent item Inbox", "ModifiedEvent folder Inbox"}, Source: srcDeletionTable + ", row \"Hard delete via the DeleteItem operation\""},
	}},
	{Action: "empty-deleted-items", Title: "Deleted Items is emptied (EmptyFolder HardDelete; here it holds two messages)",
		Prepare: []ActionRequest{{Action: "soft-delete", Folder: "inbox"}, {Action: "soft-delete", Folder: "inbox"}}, Cells: []MatrixCell{
			{Store: Store2013, Scope: ScopeAll, Events: []string{"DeletedEvent item Deleted Items", "DeletedEvent item AllItems", "DeletedEvent item Deleted Items", "DeletedEvent item AllItems", "ModifiedEvent folder Deleted Items"},
				Source: "modelled: the deletion table's hard-delete row, all folders, for each item; one folder change for the batch"},
			{Events: []string{"DeletedEvent item Deleted Items", "DeletedEvent item Deleted Items", "ModifiedEvent folder Deleted Items"},
				Source: "modelled: the deletion table's hard-delete row for each item; one folder change for the batch"},
		}},
	{Action: "create-folder", Title: "a folder is created (CreateFolder)", Folder: "inbox", Cells: []MatrixCell{
		{Events: []string{"CreatedEvent folder $F<-Inbox", "ModifiedEvent folder Inbox"}, Source: srcFigure + " (creating a folder); the parent's change is modelled (its child count changed)"},
	}},
	{Action: "rename-folder", Title: "a user folder is renamed (UpdateFolder DisplayName)", Folder: "Beta", Cells: []MatrixCell{
		{Events: []string{"ModifiedEvent folder $F<-Projects"}, Source: "modelled: a property change of the folder alone; no UnreadCount, since its counts did not change"},
	}},
	{Action: "move-folder", Title: "a user folder is moved under another (MoveFolder)", Folder: "Receipts", To: "Archive", Cells: []MatrixCell{
		{Events: []string{"MovedEvent folder Receipts<-Archive<-Inbox", "ModifiedEvent folder Inbox", "ModifiedEvent folder Archive"}, Source: srcFolderMove},
	}},
	{Action: "folder-to-deleted-items", Title: "a user folder is deleted to Deleted Items (DeleteFolder MoveToDeletedItems)", Folder: "Receipts", Cells: []MatrixCell{
		{Store: Store2013, Scope: ScopeAll, Events: []string{"ModifiedEvent folder Inbox", "ModifiedEvent folder Deleted Items"}, Source: srcDeletionTable + ", row \"Move to the Deleted Items folder via the DeleteFolder operation\", all folders: no MovedEvent"},
		{Events: []string{"MovedEvent folder Receipts<-Deleted Items<-Inbox", "ModifiedEvent folder Inbox", "ModifiedEvent folder Deleted Items"}, Source: srcDeletionTable + ", row \"Move to the Deleted Items folder via the DeleteFolder operation\""},
	}},
	{Action: "delete-folder", Title: "a user folder is deleted permanently with its contents (DeleteFolder HardDelete)", Folder: "Alpha", Cells: []MatrixCell{
		{Events: []string{"DeletedEvent folder Alpha<-Projects", "ModifiedEvent folder Projects"}, Source: srcDeletionTable + ", rows \"Hard delete\" and \"Soft delete via the DeleteFolder operation\" (no events for the contents)"},
	}},
	{Action: "meeting-request", Title: "a meeting request arrives; the calendar item is created tentatively", Cells: []MatrixCell{
		{Scope: ScopeAll, Events: join(newMailEvents, []string{"CreatedEvent item Calendar", "ModifiedEvent folder Calendar", "FreeBusyChangedEvent item Calendar"}, noise),
			Source: "modelled: new mail (the sample) plus the tentative calendar item; Microsoft's figure 1 text says free/busy can change when a request arrives, before it is read" + noiseSource},
		{Scope: ScopeFolders, Events: join(newMailEvents, []string{"CreatedEvent item Calendar", "ModifiedEvent folder Calendar", "FreeBusyChangedEvent item Calendar"}),
			Source: "modelled: new mail (the sample) plus the tentative calendar item"},
	}},
	{Action: "update-appointment", Title: "a calendar item's time is changed (UpdateItem)", Cells: []MatrixCell{
		{Scope: ScopeAll, Events: join([]string{"ModifiedEvent item Calendar", "FreeBusyChangedEvent item Calendar", "ModifiedEvent folder Calendar"}, noise),
			Source: "modelled after a reported Exchange 2016 capture (item ModifiedEvent + FreeBusyChangedEvent, then one folder ModifiedEvent), which is not in shared/ews-samples" + noiseSource},
		{Scope: ScopeFolders, Events: []string{"ModifiedEvent item Calendar", "FreeBusyChangedEvent item Calendar", "ModifiedEvent folder Calendar"},
			Source: "modelled after a reported Exchange 2016 capture, which is not in shared/ews-samples"},
	}},
	{Action: "accept-meeting", Title: "the attendee accepts a meeting request and sends the response", Prepare: []ActionRequest{{Action: "meeting-request"}}, Cells: []MatrixCell{
		{Scope: ScopeAll, Events: join([]string{"ModifiedEvent item Calendar", "FreeBusyChangedEvent item Calendar", "ModifiedEvent folder Calendar", "CreatedEvent item Sent Items", "ModifiedEvent folder Sent Items"}, noise),
			Source: "modelled: the calendar item changes as in update-appointment, the response is saved in Sent Items; the request stays in the Inbox" + noiseSource},
		{Scope: ScopeFolders, Events: []string{"ModifiedEvent item Calendar", "FreeBusyChangedEvent item Calendar", "ModifiedEvent folder Calendar", "CreatedEvent item Sent Items", "ModifiedEvent folder Sent Items"},
			Source: "modelled: the calendar item changes as in update-appointment, the response is saved in Sent Items"},
	}},
	{Action: "decline-meeting", Title: "the attendee declines a meeting request and sends the response", Prepare: []ActionRequest{{Action: "meeting-request"}}, Cells: []MatrixCell{
		{Store: Store2013, Scope: ScopeAll, Events: join([]string{"FreeBusyChangedEvent item Calendar", "DeletedEvent item Calendar", "DeletedEvent item AllItems", "ModifiedEvent folder Calendar", "CreatedEvent item Sent Items", "ModifiedEvent folder Sent Items"}, noise),
			Source: "modelled: the tentative calendar item is removed (the deletion table's hard-delete row), the response is saved in Sent Items" + noiseSource},
		{Scope: ScopeAll, Events: join([]string{"FreeBusyChangedEvent item Calendar", "DeletedEvent item Calendar", "ModifiedEvent folder Calendar", "CreatedEvent item Sent Items", "ModifiedEvent folder Sent Items"}, noise),
			Source: "modelled: the tentative calendar item is removed (the deletion table's hard-delete row), the response is saved in Sent Items" + noiseSource},
		{Scope: ScopeFolders, Events: []string{"FreeBusyChangedEvent item Calendar", "DeletedEvent item Calendar", "ModifiedEvent folder Calendar", "CreatedEvent item Sent Items", "ModifiedEvent folder Sent Items"},
			Source: "modelled: the tentative calendar item is removed (the deletion table's hard-delete row), the response is saved in Sent Items"},
	}},
	{Action: "save-draft", Title: "a new message is saved as a draft", Cells: []MatrixCell{
		{Store: Store2013, Events: []string{"CreatedEvent item Drafts", "ModifiedEvent item Drafts", "MovedEvent item Drafts<-Drafts", "ModifiedEvent folder Drafts"},
			Source: srcFigure + " lists Created, Modified, Moved and a folder Modified; which folders the MovedEvent names is not shown, and is modelled as Drafts to Drafts (a new ItemId)"},
		{Store: Store2010, Events: []string{"CreatedEvent item Drafts", "ModifiedEvent item Drafts", "ModifiedEvent folder Drafts"}, Source: "modelled: the item is created and saved; no move"},
	}},
	{Action: "send-mail", Title: "a message is written in Drafts and sent (a copy saved to Sent Items)", Cells: []MatrixCell{
		{Events: []string{"CreatedEvent item Drafts", "ModifiedEvent folder Drafts", "MovedEvent item Sent Items<-Drafts", "ModifiedEvent folder Drafts", "ModifiedEvent folder Sent Items"},
			Source: "modelled: the draft's creation, then a move to Sent Items with both folders' changes"},
	}},
}

// Cell finds what a store fires for an action to a scope.
func (r *MatrixRow) Cell(store, scope string) *MatrixCell {
	for i := range r.Cells {
		c := &r.Cells[i]
		if (c.Store == "" || c.Store == store) && (c.Scope == "" || c.Scope == scope) {
			return c
		}
	}
	return nil
}

// Store is the profile's event model generation, as the matrix names it.
func (p *Profile) Store() string {
	if p.Store13 {
		return Store2013
	}
	return Store2010
}

// MatrixRowFor finds an action's row.
func MatrixRowFor(action string) *MatrixRow {
	for i := range Matrix {
		if Matrix[i].Action == action {
			return &Matrix[i]
		}
	}
	return nil
}

// CascadesDoc renders docs/cascades.md from the matrix.
func CascadesDoc() string {
	var b strings.Builder
	b.WriteString(cascadesDocHead)
	stores := map[string][]string{}
	for _, p := range Profiles {
		stores[p.Store()] = append(stores[p.Store()], p.Name)
	}
	for _, r := range Matrix {
		fmt.Fprintf(&b, "\n## %s — %s\n\n", r.Action, r.Title)
		if r.Folder != "" || r.To != "" || len(r.Prepare) > 0 {
			var sc []string
			if r.Folder != "" {
				sc = append(sc, "folder "+r.Folder)
			}
			if r.To != "" {
				sc = append(sc, "to "+r.To)
			}
			for _, p := range r.Prepare {
				sc = append(sc, "after "+p.Action)
			}
			fmt.Fprintf(&b, "Scenario: %s.\n\n", strings.Join(sc, ", "))
		}
		b.WriteString("| Profiles | Subscription | Events, in order | Source |\n| --- | --- | --- | --- |\n")
		for _, store := range []string{Store2010, Store2013} {
			for _, scope := range []string{ScopeFolders, ScopeAll} {
				c := r.Cell(store, scope)
				if c == nil {
					continue
				}
				scopeText := "folder ids"
				if scope == ScopeAll {
					scopeText = "all folders"
				}
				if c.Scope == "" {
					if scope == ScopeAll {
						continue // rendered once for both scopes
					}
					scopeText = "either"
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", strings.Join(stores[store], ", "), scopeText,
					strings.Join(c.Events, "<br>"), c.Source)
			}
		}
	}
	b.WriteString(cascadesDocTail())
	return b.String()
}

const cascadesDocHead = `# Event cascades

<!-- Generated from ews/sim/matrix.go by ` + "`go test ./ews/sim -run TestCascadesDoc -update`" + `; edit the matrix, not this file. -->

One user action makes Exchange fire several notification events, and which ones depends on the server
version and on the subscription's scope. The simulator (` + "`ewsmon sim --server PROFILE`" + `, the dashboard's
` + "`--sim-server`" + `) fires, for each action, exactly the events below, in this order: ` + "`ews/sim/matrix.go`" + ` holds this
matrix as data, the simulator's tests check every profile × scope × action against it in-process and through
the real client over pull and streaming, and the dashboard's cascade reference (` + "`C`" + `) shows it.

How to read the tables:

- **Profiles**: Exchange 2010 has its own store; Exchange 2013, 2016, 2019 and Exchange Online share the
  Exchange 2013 store's event model. Microsoft's deletion table gives "Exchange 2013 and Exchange Online";
  that 2016 and 2019 (versions 15.1 and 15.2) fire the same is modelled.
- **Subscription**: "folder ids" is a Subscribe naming folders (then a subscription sees an event only when
  the event's folder, parent or old parent is one it names); "all folders" is ` + "`SubscribeToAllFolders`" + `;
  "either" means both fire the same.
- **Events**: ` + "`Type item|folder where`" + `: where is the item's parent folder or the folder itself;
  ` + "`A<-B`" + ` an item's new <- old parent; ` + "`F<-P`" + ` a created, deleted or renamed folder and its parent;
  ` + "`F<-P<-O`" + ` a moved folder, its new and old parent. ` + "`$F`" + ` is a folder the action creates or renames.
  AllItems is the hidden AllItems search folder, Deletions is Recoverable Items\Deletions, Freebusy Data the
  hidden free/busy folder: none is in the visible folder tree.
- A folder ` + "`ModifiedEvent`" + ` for a change of contents or counts carries ` + "`UnreadCount`" + ` (the folder's unread
  count after the action) when the subscription was made at RequestServerVersion Exchange2010_SP1 or later
  (modelled: Microsoft's Exchange2013 sample carries it; captures of subscriptions made at Exchange2010 show
  none; the ModifiedEvent reference gives no version). A rename carries none.
- All events of one action have the same ` + "`TimeStamp`" + `. Pull and push events each carry a ` + "`Watermark`" + `;
  streaming events carry none. Item ids change when an item moves (Exchange item ids do), so a ` + "`MovedEvent`" + ` has a
  new ` + "`ItemId`" + ` and the old one in ` + "`OldItemId`" + `; a folder keeps its id when moved.
- **Source** is where a cell comes from: a Microsoft table, figure or reference page, a published capture,
  or "modelled" with the reasoning. Nothing here is presented as captured that was not.

Action names are those of ` + "`POST /sim/actions`" + ` (` + "`GET /sim/actions`" + ` lists them); the optional ` + "`folder`" + ` and ` + "`to`" + `
pick where the action happens, otherwise the simulator picks. The scenario is the one the tests run in a
fresh simulated mailbox.
`

func cascadesDocTail() string {
	return `
## Server profiles

| Profile | ServerVersionInfo | RequestServerVersion accepted up to | Store |
| --- | --- | --- | --- |
` + profileTableRows() + `
A RequestServerVersion newer than the profile knows is refused with a SOAP fault ` + "`ErrorInvalidServerVersion`" + `;
the client then falls back, once and visibly, to the newest version that server accepts (derived from the
fault's ServerVersionInfo). Push notifications repeat the subscription's RequestServerVersion.
`
}

func profileTableRows() string {
	var b strings.Builder
	for _, p := range Profiles {
		fmt.Fprintf(&b, "| %s | %d.%d.%d.%d %s | %s | %s |\n", p.Name, p.Major, p.Minor, p.MajorBuild, p.MinorBuild, p.Version, p.Accepts[len(p.Accepts)-1], "Exchange "+p.Store())
	}
	return b.String()
}
