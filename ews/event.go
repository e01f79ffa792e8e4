package ews

import (
	"strconv"
	"time"
)

// EventType is the EWS element name of a notification event.
type EventType string

const (
	NewMailEvent         EventType = "NewMailEvent"
	CreatedEvent         EventType = "CreatedEvent"
	DeletedEvent         EventType = "DeletedEvent"
	ModifiedEvent        EventType = "ModifiedEvent"
	MovedEvent           EventType = "MovedEvent"
	CopiedEvent          EventType = "CopiedEvent"
	FreeBusyChangedEvent EventType = "FreeBusyChangedEvent"
	StatusEvent          EventType = "StatusEvent"
)

// AllEventTypes are the seven event types a subscription can ask for
// (StatusEvent is not subscribable; the server sends it on its own).
var AllEventTypes = []EventType{
	CopiedEvent, CreatedEvent, DeletedEvent, ModifiedEvent, MovedEvent, NewMailEvent, FreeBusyChangedEvent,
}

// String is the element name (what theme keys its event styles by).
func (t EventType) String() string { return string(t) }

// String is the state's name (what theme keys its state styles by); it
// sits next to EventType's because both exist for the same reason.
func (c ConnState) String() string { return string(c) }

// SubscribeName is the value used in a Subscribe request's t:EventTypes
// ("NewMailEvent" -> "NewMailEvent"; the schema's t:NotificationEventTypeType).
func (t EventType) SubscribeName() string { return string(t) }

// Short is the name without the "Event" suffix ("NewMail", "Moved", ...).
func (t EventType) Short() string {
	s := string(t)
	if len(s) > 5 && s[len(s)-5:] == "Event" {
		return s[:len(s)-5]
	}
	return s
}

// ParseEventType accepts "NewMailEvent", "NewMail", "newmail", "new-mail".
func ParseEventType(s string) (EventType, bool) {
	norm := func(x string) string {
		b := make([]byte, 0, len(x))
		for i := 0; i < len(x); i++ {
			c := x[i]
			if c == '-' || c == '_' || c == ' ' {
				continue
			}
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		return string(b)
	}
	n := norm(s)
	for _, t := range append(append([]EventType(nil), AllEventTypes...), StatusEvent) {
		if norm(string(t)) == n || norm(t.Short()) == n {
			return t, true
		}
	}
	return "", false
}

// Event is one notification event, normalized over the eight kinds. An item
// event has ItemId set, a folder event FolderId. Absent values are zero (or
// nil for UnreadCount).
type Event struct {
	Type      EventType
	TimeStamp time.Time
	// Watermark is set on pull and push events; streaming events carry none.
	Watermark string

	ItemId            ItemId
	FolderId          FolderId
	ParentFolderId    FolderId
	OldItemId         ItemId
	OldFolderId       FolderId
	OldParentFolderId FolderId
	// UnreadCount is set on a folder ModifiedEvent when the server sends it.
	UnreadCount *int

	// The notification the event arrived in.
	SubscriptionId    string
	PreviousWatermark string
	MoreEvents        bool
	// RawXML is the whole envelope the event arrived in (shared between the
	// events of one envelope; never holds credentials: responses carry none).
	RawXML []byte
}

// IsFolderEvent reports whether the event is about a folder, not an item.
func (e Event) IsFolderEvent() bool { return e.ItemId.IsZero() && !e.FolderId.IsZero() }

// Notification is one m:Notification / t:Notification element.
type Notification struct {
	SubscriptionId    string
	PreviousWatermark string
	MoreEvents        bool
	Events            []Event
}

func itoa(i int) string { return strconv.Itoa(i) }
