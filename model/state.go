package model

import (
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// Config sizes the state. Zero values take the defaults.
type Config struct {
	// MaxEvents bounds the event log; the oldest entries are evicted first.
	// Default 100000.
	MaxEvents int
	// CascadeGap is the longest pause between two events of one cascade.
	// Default 2s.
	CascadeGap time.Duration
	// Location is the time zone of the Time column. Default time.Local.
	Location *time.Location
}

const (
	DefaultMaxEvents  = 100000
	DefaultCascadeGap = 2 * time.Second
)

// Session describes what is being watched, for the status pane.
type Session struct {
	URL, User, ServerVersion string
	// VersionNotice says why the client sends an older RequestServerVersion
	// than configured ("" normally).
	VersionNotice string
	// PushListen and PushURL: the push listener's address and the
	// callback URL the server was given (push mode).
	PushListen, PushURL string
	// Profile is the simulator's server profile ("" on a real server).
	Profile    string
	Mode       ews.Mode
	Folders    []string
	EventTypes []ews.EventType
	Simulator  bool
}

// Entry is one retained event. Seq numbers start at 1 and never repeat.
type Entry struct {
	Seq       uint64
	Event     ews.Event
	Received  time.Time
	CascadeID uint64
	// Gap is set on a gap's own entry, Recon on a change reconciliation
	// found across it; Event is then empty.
	Gap   *ews.Gap
	Recon *ews.ReconciledChange

	// The folder's unread count before this event's UnreadCount was applied
	// (-1: unknown); tells "marked read" from "marked unread".
	prevUnread int
	// folderName is a folder event's folder name when it arrived; a later
	// different name means the event was a rename.
	folderName string
	match      bool // matches the current filter
}

// State is the dashboard's whole domain state. Create it with New.
type State struct {
	cfg Config

	status Status

	seq         uint64
	nextCascade uint64
	entries     queue[*Entry]
	cascades    queue[*Cascade]
	byID        map[uint64]*Cascade
	recentGaps  map[uint64]*ews.Gap // by ID, for reconciliations that come late (bounded)
	open        *openCascade        // the newest cascade, while it may still grow
	openBuf     openCascade

	// The visible list: cascades with at least one entry matching the
	// filter, and the absolute row numbers they start at (see rows.go).
	visible queue[*Cascade]
	rowBase int
	rowEnd  int

	filter Filter
	match  matcher
	// matched counts the events that matched the filter as they arrived,
	// since filterGen last changed (SetFilter).
	matched   int
	filterGen uint64
	// shown counts the retained entries that match the filter; evicted
	// the entries dropped at MaxEvents since New or Clear.
	shown, evicted int

	tree  *FolderTree
	items map[string]ews.Item
	// folder ids events named that nobody knows yet (UnknownFolders), and
	// those already handed out for GetFolder; both bounded.
	unknownFolders map[string]bool
	askedFolders   map[string]bool
	// sawUnreadCount: a folder ModifiedEvent carried UnreadCount, so the
	// subscription gets counts (made at Exchange2010_SP1 or later) and a
	// folder change without one is a property change such as a rename.
	sawUnreadCount bool
	minutes        [minuteSlots]minuteBucket

	lastTime time.Time // the latest moment seen, for events without one
	strs     map[string]string
}

// New returns an empty State.
func New(cfg Config) *State {
	if cfg.MaxEvents <= 0 {
		cfg.MaxEvents = DefaultMaxEvents
	}
	if cfg.CascadeGap <= 0 {
		cfg.CascadeGap = DefaultCascadeGap
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	s := &State{
		cfg:        cfg,
		byID:       make(map[uint64]*Cascade),
		recentGaps: map[uint64]*ews.Gap{},
		tree:       newFolderTree(),
		items:      make(map[string]ews.Item),
		strs:       make(map[string]string),

		unknownFolders: make(map[string]bool),
		askedFolders:   make(map[string]bool),
	}
	s.status.Totals = make(map[ews.EventType]int)
	s.match = newMatcher(Filter{}, s)
	return s
}

// Config is the configuration in effect (defaults filled in).
func (s *State) Config() Config { return s.cfg }

// SetSession records what is being watched.
func (s *State) SetSession(sess Session) {
	s.status.Session = sess
	if sess.Mode != "" && s.status.Mode == "" {
		s.status.Mode = sess.Mode
	}
}

// Apply takes one runner update: its state, deadlines and errors go to the
// status; its events go to the log (StatusEvents are not listed but count
// as heartbeats).
func (s *State) Apply(u ews.Update) {
	at := u.At
	if at.IsZero() {
		at = s.lastTime
	} else if at.After(s.lastTime) {
		s.lastTime = at
	}
	s.applyStatus(u, at)
	if u.Gap != nil {
		s.applyGap(u.Gap, at)
	}
	if u.Reconciled != nil {
		s.applyReconciled(u.Reconciled, at)
	}
	for i := range u.Events {
		e := u.Events[i]
		if e.Type == ews.StatusEvent {
			if !u.Heartbeat { // the runner may already have said so
				s.heartbeat(at)
			}
			continue
		}
		recv := at
		if recv.IsZero() {
			recv = e.TimeStamp
		}
		s.appendEvent(e, recv)
	}
}

// ApplyItem caches an item (GetItem result) so the Object column and the
// labels can show its subject and kind.
func (s *State) ApplyItem(it ews.Item) {
	if it.ItemId.Id == "" {
		return
	}
	// Bounded: items only matter while their events are retained.
	if len(s.items) >= 2*s.cfg.MaxEvents {
		s.items = make(map[string]ews.Item)
	}
	s.items[it.ItemId.Id] = it
}

// Item returns the cached item with this id.
func (s *State) Item(id string) (ews.Item, bool) {
	it, ok := s.items[id]
	return it, ok
}

// Clear drops all events and cascades; the folder tree, the status and its
// totals stay.
func (s *State) Clear() {
	s.entries.reset()
	s.cascades.reset()
	s.visible.reset()
	s.byID = make(map[uint64]*Cascade)
	s.open = nil
	s.rowBase, s.rowEnd = 0, 0
	s.shown, s.evicted = 0, 0
}

// Len is the number of retained events.
func (s *State) Len() int { return s.entries.len() }

// Shown is the number of retained events that match the filter (Len when
// there is none).
func (s *State) Shown() int { return s.shown }

// Evicted is the number of events dropped at the front of the log to stay
// within MaxEvents, since New or Clear.
func (s *State) Evicted() int { return s.evicted }

// Cascade returns the retained cascade with this id, or nil.
func (s *State) Cascade(id uint64) *Cascade { return s.byID[id] }

// Cascades is the number of retained cascades.
func (s *State) Cascades() int { return s.cascades.len() }

// appendEvent logs one event: status totals, folder tree counters,
// grouping, the visible list, eviction.
func (s *State) appendEvent(e ews.Event, recv time.Time) {
	s.seq++
	// Folder and subscription ids repeat across events; keep one copy.
	e.ParentFolderId.Id = s.intern(e.ParentFolderId.Id)
	e.OldParentFolderId.Id = s.intern(e.OldParentFolderId.Id)
	e.FolderId.Id = s.intern(e.FolderId.Id)
	e.OldFolderId.Id = s.intern(e.OldFolderId.Id)
	e.SubscriptionId = s.intern(e.SubscriptionId)
	ent := &Entry{Seq: s.seq, Event: e, Received: recv, prevUnread: -1}
	s.status.Totals[e.Type]++
	s.status.Events++
	s.countMinute(recv)
	s.tree.noteEvent(ent, recv)
	s.noteUnknownFolders(&ent.Event)
	if e.UnreadCount != nil && e.Type == ews.ModifiedEvent {
		s.sawUnreadCount = true
	}

	c := s.group(ent)
	s.entries.push(ent)
	ent.match = s.match.matches(ent)
	if ent.match {
		s.matched++
		s.shown++
	}
	s.attach(c, ent)
	for s.entries.len() > s.cfg.MaxEvents {
		s.evictOldest()
	}
}

// attach appends an entry to the newest cascade.
func (s *State) attach(c *Cascade, ent *Entry) {
	ent.CascadeID = c.ID
	c.Entries = append(c.Entries, ent)
	t := eventTime(ent)
	if c.First.IsZero() || t.Before(c.First) {
		c.First = t
	}
	if t.After(c.Last) {
		c.Last = t
	}
	if len(c.Entries) <= maxClassified {
		c.Kind = s.classify(c).kind
	} else {
		c.Kind = KindUnrecognized
	}
	if ent.match {
		s.showEntry(c, ent)
	}
}

// intern returns one shared copy of a folder or subscription id (there are
// few distinct ones; the map is bounded anyway).
func (s *State) intern(id string) string {
	if id == "" {
		return ""
	}
	if v, ok := s.strs[id]; ok {
		return v
	}
	if len(s.strs) >= 50000 {
		s.strs = make(map[string]string)
	}
	s.strs[id] = id
	return id
}

// eventTime is the moment grouping uses: the server's TimeStamp (so events
// that arrive together in one pull batch still separate by when they
// happened), or the arrival time when the server gave none.
func eventTime(e *Entry) time.Time {
	if !e.Event.TimeStamp.IsZero() {
		return e.Event.TimeStamp
	}
	return e.Received
}

func (s *State) evictOldest() {
	ent := s.entries.popFront()
	c := s.cascades.front()
	if c.frozen.kind == "" && c.Gap == nil && len(c.Entries) > 1 {
		// What is left no longer shows the whole action: keep saying what
		// it was.
		c.frozen = s.classify(c)
	}
	c.Entries[0] = nil
	c.Entries = c.Entries[1:]
	s.evicted++
	if ent.match {
		s.shown--
		s.hideOldestEntry(c)
	}
	if len(c.Entries) == 0 {
		s.cascades.popFront()
		delete(s.byID, c.ID)
		if s.open != nil && s.open.c == c {
			s.open = nil
		}
	}
}
