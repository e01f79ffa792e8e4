package ui

import (
	"context"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/keymap"
	"github.com/ewsmon/ewsmon/theme"
)

// Backend is what the dashboard needs of an EWS client; *ews.Client
// satisfies it.
type Backend interface {
	Watch(ctx context.Context, cfg ews.WatchConfig) <-chan ews.Update
	SyncFolderHierarchy(ctx context.Context, syncState string) (*ews.SyncFolderHierarchyResult, error)
	GetFolder(ctx context.Context, refs ...ews.FolderRef) ([]ews.Folder, error)
	GetItem(ctx context.Context, ids ...ews.ItemId) ([]ews.Item, error)
	ServerVersion() ews.ServerVersionInfo
	// GetFolderEach and FindFolder resolve the folders outside the visible
	// tree that events name (AllItems, Recoverable Items…).
	GetFolderEach(ctx context.Context, refs ...ews.FolderRef) ([]ews.Folder, []error, error)
	FindFolder(ctx context.Context, parent ews.FolderRef) ([]ews.Folder, error)
	// VersionNotice says why the client sends an older RequestServerVersion
	// than configured ("" normally).
	VersionNotice() string
}

// SimControl drives the embedded simulator's demo actions; nil when the
// dashboard watches a real server.
type SimControl interface {
	// Act fires one demo action (a sim.Actions name such as "new-mail") in
	// the default mailbox.
	Act(ctx context.Context, action string) error
	SetActivity(rate float64)
	Activity() float64
	// Profile is the server profile the simulator runs (sim.Profiles).
	Profile() string
}

// Options configure the dashboard.
type Options struct {
	Backend Backend
	Sim     SimControl // nil: no simulator keys

	URL, User string
	// Watch is the initial subscription (mode, folders, event types).
	Watch ews.WatchConfig
	// Push is the listener for push subscriptions (`m` cycles streaming →
	// pull → push when it is set); nil: no push.
	Push *ews.PushListener

	// Keys are the bindings; the zero value means keymap.DefaultKeyMap().
	Keys keymap.KeyMap
	// Theme is used when set (Theme.Name != ""); otherwise ThemeName:
	// "dark", "light", "none", or "auto"/"" to pick dark or light from the
	// terminal's background colour.
	Theme     theme.Styles
	ThemeName string

	// MaxEvents bounds the event log (default 100000).
	MaxEvents int
	// ExportDir is where `x` writes NDJSON files (default ".").
	ExportDir string
	// Clock is the time source (default ews.RealClock{}).
	Clock ews.Clock
	// SimRate is the activity generator's rate when `a` turns it on
	// (actions per second; default 1).
	SimRate float64
	// Location is the time zone of the Time column (default time.Local).
	Location *time.Location
	// NoMouse turns mouse reporting off.
	NoMouse bool
	// FrameInterval paces drawing: View draws at most once per interval
	// (ui/frame.go); 0 draws on every View (the tests).
	FrameInterval time.Duration
	// SetSecret is called with a password the user typed after an
	// authentication failure; nil: no prompt.
	SetSecret func(secret string)

	// Compare, when set, turns the dashboard into the transport comparison
	// (ewsmon --compare): Watch and Push are not used, Backend still syncs
	// the tree and fetches subjects.
	Compare *CompareOptions
}

// CompareOptions are the runners of the transport comparison: each with its
// own client, so that its requests and bytes are its own.
type CompareOptions struct {
	Runs []ews.SideBySide
	// Push is the push runner's listener: the notifications it receives
	// count in that runner's wire figures.
	Push *ews.PushListener
	// Settle is how long after an event's first arrival a transport that
	// has not delivered it counts as missing it (default CompareSettle of
	// the pull runner's interval).
	Settle time.Duration
	// Watch starts the runners (default ews.WatchSideBySide); Wire is
	// runner t's traffic so far (default its client's, plus Push's for a
	// push runner). Tests replace both.
	Watch func(ctx context.Context, runs []ews.SideBySide) <-chan ews.TransportUpdate
	Wire  func(t int) ews.WireStats
}

// CompareSettle is the default settle for a pull interval: two intervals
// (a poll may just have gone out) and 3 s for the network and the server.
func CompareSettle(poll time.Duration) time.Duration {
	if poll <= 0 {
		poll = defaultPoll
	}
	return 2*poll + 3*time.Second
}

// defaultPoll is the pull runner's interval when none is set (ews.Watch's
// default).
const defaultPoll = 5 * time.Second
