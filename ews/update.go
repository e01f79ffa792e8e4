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
}

// WatchConfig says what Client.Watch subscribes to and how. (Added by the
// lead from the contract so that ui compiles; the runner owns its meaning.)
type WatchConfig struct {
	Mode              Mode          // ModeStreaming (default) or ModePull
	Folders           []FolderRef   // empty: SubscribeToAllFolders
	EventTypes        []EventType   // empty: all seven
	ConnectionTimeout int           // streaming, minutes 1..30, default 30
	PollInterval      time.Duration // pull, default 5s
	Timeout           int           // pull subscription Timeout, minutes 1..1440, default 10
	Clock             Clock         // default: the client's clock
}
