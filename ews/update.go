package ews

import "time"

// Mode is how a subscription delivers events.
type Mode string

const (
	ModeStreaming Mode = "streaming"
	ModePull      Mode = "pull"
	ModePush      Mode = "push"
)

// ConnState is the state of a subscription runner, as the dashboard shows it.
type ConnState string

const (
	StateSubscribing  ConnState = "subscribing"
	StateOpen         ConnState = "open"
	StateReconnecting ConnState = "reconnecting"
	StateClosed       ConnState = "closed"
	StateExpired      ConnState = "expired"
	StateUnsubscribed ConnState = "unsubscribed"
	StateError        ConnState = "error"
)

// Deadlines are the moments a UI counts down to. Zero means "not applicable".
type Deadlines struct {
	// Streaming: when the current connection's ConnectionTimeout ends (the
	// server then says Closed and the runner reconnects), and when the last
	// byte / heartbeat arrived.
	ConnectionEnds time.Time
	LastHeartbeat  time.Time
	// Pull: when the next GetEvents is due, and when the server deletes the
	// subscription if it is not polled.
	NextPoll time.Time
	Expires  time.Time
	// Push: when the next notification (at least a StatusEvent) is due;
	// past it (and a grace) the subscription counts as lost.
	NextStatus time.Time
}

// Update is what a subscription runner publishes. Every Update carries the
// runner's whole current state (Mode, State, SubscriptionId, Deadlines,
// Reconnects, Err) plus what is new (Events, Heartbeat), so a consumer can
// apply it without history.
type Update struct {
	At             time.Time
	Mode           Mode
	State          ConnState
	SubscriptionId string
	// Err is the error that caused StateError, StateReconnecting, StateExpired
	// or StateClosed; nil otherwise. It reads as one clear sentence.
	Err        error
	Events     []Event
	Heartbeat  bool // an OK ConnectionStatus (streaming) or a StatusEvent (pull) arrived
	Deadlines  Deadlines
	Reconnects int
	// Gaps counts the gaps so far. Gap is set on the update that reports a
	// new one (as soon as coverage is back); Reconciled on the update that
	// reports what changed across it (WatchConfig.Reconcile).
	Gaps       int
	Gap        *Gap
	Reconciled *Reconciliation
	// BaselineAt is when the baseline that the next gap will be compared
	// with was complete (WatchConfig.Reconcile); zero while none is ready.
	BaselineAt time.Time
}

// Gap is an interval in which events may have happened that the
// subscription did not deliver: a streaming subscription lost or a stream
// that broke with events possibly in flight, a watermark the server
// refused, ErrorMissedNotificationEvents. From is the last moment known to
// be covered (the last envelope or answer received), To when coverage was
// back (the new subscription made, or the new connection's first envelope).
type Gap struct {
	ID       uint64
	From, To time.Time
	Reason   string
}

// Reconciliation is what changed in the watched folders across a gap, found
// as Microsoft recommends for lost subscriptions: the folders whose
// PR_LOCAL_COMMIT_TIME_MAX / PR_DELETED_COUNT_TOTAL moved, then
// SyncFolderItems on those from the sync state taken before the gap
// (docs/reliability.md).
type Reconciliation struct {
	GapID uint64
	// Changes are item changes (Create, Update, Delete, ReadFlagChange) and
	// folder-level ones (ItemId zero: a folder created, changed or deleted,
	// or whose contents changed with nothing to list).
	Changes []ReconciledChange
	Folders int // folders compared
	Changed int // folders whose change marks moved, or that came or went
	// Truncated: a folder had more changes than the bound; its rest is
	// reported as one folder-level Update.
	Truncated bool
	// Err is why reconciliation could not run, or ran only in part.
	Err error
}

// ReconciledChange is one change found by reconciliation.
type ReconciledChange struct {
	Change   ChangeKind // ChangeCreate, ChangeUpdate, ChangeDelete or ChangeReadFlag
	ItemId   ItemId     // zero for a folder-level change
	FolderId FolderId   // the folder synced; for a folder-level change the folder itself
	Subject  string
	IsRead   *bool // ReadFlagChange
}

// WatchConfig says what Client.Watch subscribes to and how.
type WatchConfig struct {
	Mode              Mode          // ModeStreaming (default), ModePull or ModePush
	Folders           []FolderRef   // empty: SubscribeToAllFolders
	EventTypes        []EventType   // empty: all seven
	ConnectionTimeout int           // streaming, minutes 1..30, default 30
	PollInterval      time.Duration // pull, default 5s
	// Push: the listener the server POSTs to (ListenPush), and the
	// StatusFrequency in minutes (1..1440, default 1) after which the server
	// sends a StatusEvent when nothing happened.
	Push            *PushListener
	StatusFrequency int
	// StatusMinute is how long one minute of StatusFrequency lasts for
	// the silence check (default a minute): a simulator that compresses
	// its minute (sim.Config.PushMinute) is watched with the same minute,
	// so a lost push subscription is found within seconds there too.
	StatusMinute time.Duration
	Timeout      int   // pull subscription Timeout, minutes 1..1440, default 10
	Clock        Clock // default: the client's clock
	// Reconcile takes a baseline of the watched folders when a subscription
	// starts and, after every gap, reports what changed across it
	// (Update.Reconciled). It costs a few calls per folder at the start
	// and after each gap (bounds in docs/reliability.md).
	Reconcile bool
	// BaselineEvery: while covered, the baseline is brought up to date
	// (incrementally: only folders whose change properties moved are
	// synced) once it is this old, so that a gap's reconciliation lists
	// little that was notified before the gap. Default 1 minute.
	BaselineEvery time.Duration
}
