package ews

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NSErrors is the namespace of the ResponseCode/Message in a SOAP fault's
// detail.
const NSErrors = "http://schemas.microsoft.com/exchange/services/2006/errors"

// envelope is one parsed SOAP envelope.
type envelope struct {
	Version    ServerVersionInfo
	HasVersion bool
	Body       *node // the Body's element child; nil when empty
	Fault      *ResponseError
}

// version is a copy of the envelope's ServerVersionInfo, nil without one.
func (e *envelope) version() *ServerVersionInfo {
	if !e.HasVersion {
		return nil
	}
	v := e.Version
	return &v
}

// parseEnvelope interprets a top-level element. A bare EWS element (no SOAP
// envelope around it) is accepted as the body.
func parseEnvelope(root *node) (*envelope, error) {
	env := &envelope{}
	if !root.IsSoap("Envelope") {
		if isEWS(root.Space) {
			env.Body = root
			return env, nil
		}
		return nil, fmt.Errorf("not a SOAP envelope: element %s", qname(root))
	}
	for _, k := range root.Kids {
		switch {
		case k.IsSoap("Header"):
			for _, h := range k.Kids {
				if h.Is("ServerVersionInfo") {
					env.Version = parseServerVersion(h)
					env.HasVersion = true
				}
			}
		case k.IsSoap("Body"):
			for _, b := range k.Kids {
				if b.IsSoap("Fault") {
					env.Fault = parseFault(b)
				} else if env.Body == nil {
					env.Body = b
				}
			}
		}
	}
	return env, nil
}

func qname(n *node) string {
	if n.Space == "" {
		return n.Local
	}
	return "{" + n.Space + "}" + n.Local
}

func parseServerVersion(h *node) ServerVersionInfo {
	num := func(s string) int { v, _ := strconv.Atoi(strings.TrimSpace(h.Attribute(s))); return v }
	return ServerVersionInfo{
		MajorVersion:     num("MajorVersion"),
		MinorVersion:     num("MinorVersion"),
		MajorBuildNumber: num("MajorBuildNumber"),
		MinorBuildNumber: num("MinorBuildNumber"),
		Version:          h.Attribute("Version"),
	}
}

// parseFault reads a SOAP 1.1 fault. EWS puts its ResponseCode and Message
// in the errors namespace and MessageXml in the types namespace inside
// detail; faultcode is a QName such as "a:ErrorServerBusy".
func parseFault(f *node) *ResponseError {
	e := &ResponseError{Fault: true}
	var faultcode, faultstring string
	for _, k := range f.Kids {
		switch k.Local {
		case "faultcode":
			faultcode = strings.TrimSpace(k.Text)
		case "faultstring":
			faultstring = strings.TrimSpace(k.Text)
		case "detail":
			for _, d := range k.Kids {
				switch d.Local {
				case "ResponseCode":
					e.Code = strings.TrimSpace(d.Text)
				case "Message":
					e.Message = strings.TrimSpace(d.Text)
				case "MessageXml":
					e.MessageXml = parseMessageXml(d)
				}
			}
		}
	}
	if e.Code == "" {
		e.Code = faultcode
		if i := strings.LastIndexByte(e.Code, ':'); i >= 0 {
			e.Code = e.Code[i+1:]
		}
	}
	if e.Message == "" {
		e.Message = faultstring
	}
	e.BackOff = backOffFrom(e.MessageXml)
	return e
}

func parseMessageXml(n *node) map[string]string {
	if n == nil || len(n.Kids) == 0 {
		return nil
	}
	m := make(map[string]string, len(n.Kids))
	for _, k := range n.Kids {
		if name := k.Attribute("Name"); k.Local == "Value" && name != "" {
			m[name] = strings.TrimSpace(k.Text)
		} else {
			m[k.Local] = strings.TrimSpace(k.Text)
		}
	}
	return m
}

// messageError returns the error of one m:*ResponseMessage, or nil when its
// ResponseClass is Success or Warning.
func messageError(op string, m *node) *ResponseError {
	if m.Attribute("ResponseClass") != "Error" {
		return nil
	}
	e := &ResponseError{
		Op:         op,
		Code:       m.ChildText("ResponseCode"),
		Message:    m.ChildText("MessageText"),
		MessageXml: parseMessageXml(m.Child("MessageXml")),
	}
	if e.Code == "" {
		e.Code = "ErrorUnknown"
	}
	e.BackOff = backOffFrom(e.MessageXml)
	if ids := m.Child("ErrorSubscriptionIds"); ids != nil {
		for _, id := range ids.Children("SubscriptionId") {
			e.SubscriptionIds = append(e.SubscriptionIds, strings.TrimSpace(id.Text))
		}
	}
	return e
}

// responseMessages checks that env answers op and returns its response
// messages. A SOAP fault becomes the error.
func responseMessages(op string, env *envelope) ([]*node, error) {
	if env.Fault != nil {
		f := *env.Fault
		f.Op = op
		return nil, &f
	}
	if env.Body == nil {
		return nil, fmt.Errorf("%s: the response has an empty SOAP body", op)
	}
	if !env.Body.Is(op + "Response") {
		return nil, fmt.Errorf("%s: unexpected response element %s", op, qname(env.Body))
	}
	rm := env.Body.Child("ResponseMessages")
	if rm == nil {
		return nil, fmt.Errorf("%s: the response has no ResponseMessages", op)
	}
	var out []*node
	for _, k := range rm.Kids {
		if isEWS(k.Space) {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: the response has no response message", op)
	}
	return out, nil
}

// singleMessage is responseMessages for operations with one message, whose
// error (if any) is returned.
func singleMessage(op string, env *envelope) (*node, error) {
	ms, err := responseMessages(op, env)
	if err != nil {
		return nil, err
	}
	if e := messageError(op, ms[0]); e != nil {
		return nil, e
	}
	return ms[0], nil
}

func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t
	}
	return time.Time{}
}

func parseBool(s string) bool {
	s = strings.TrimSpace(s)
	return s == "true" || s == "1"
}

func itemIdOf(n *node) ItemId {
	if n == nil {
		return ItemId{}
	}
	return ItemId{Id: n.Attribute("Id"), ChangeKey: n.Attribute("ChangeKey")}
}

func folderIdOf(n *node) FolderId {
	if n == nil {
		return FolderId{}
	}
	return FolderId{Id: n.Attribute("Id"), ChangeKey: n.Attribute("ChangeKey")}
}

// parseNotification reads an m:Notification or t:Notification.
func parseNotification(n *node) Notification {
	nt := Notification{
		SubscriptionId:    n.ChildText("SubscriptionId"),
		PreviousWatermark: n.ChildText("PreviousWatermark"),
		MoreEvents:        parseBool(n.ChildText("MoreEvents")),
	}
	nt.Events = make([]Event, 0, len(n.Kids))
	for _, k := range n.Kids {
		if !isEWS(k.Space) {
			continue
		}
		typ, ok := eventTypeOf(k.Local)
		if !ok {
			continue
		}
		ev := Event{
			Type:              typ,
			TimeStamp:         parseTime(k.ChildText("TimeStamp")),
			Watermark:         k.ChildText("Watermark"),
			ItemId:            itemIdOf(k.Child("ItemId")),
			FolderId:          folderIdOf(k.Child("FolderId")),
			ParentFolderId:    folderIdOf(k.Child("ParentFolderId")),
			OldItemId:         itemIdOf(k.Child("OldItemId")),
			OldFolderId:       folderIdOf(k.Child("OldFolderId")),
			OldParentFolderId: folderIdOf(k.Child("OldParentFolderId")),
			SubscriptionId:    nt.SubscriptionId,
			PreviousWatermark: nt.PreviousWatermark,
			MoreEvents:        nt.MoreEvents,
		}
		if uc := k.Child("UnreadCount"); uc != nil {
			if v, err := strconv.Atoi(strings.TrimSpace(uc.Text)); err == nil {
				ev.UnreadCount = &v
			}
		}
		nt.Events = append(nt.Events, ev)
	}
	return nt
}

func eventTypeOf(local string) (EventType, bool) {
	switch EventType(local) {
	case NewMailEvent, CreatedEvent, DeletedEvent, ModifiedEvent, MovedEvent, CopiedEvent, FreeBusyChangedEvent, StatusEvent:
		return EventType(local), true
	}
	return "", false
}

// parseFolder reads a t:Folder (or CalendarFolder, ContactsFolder, ...).
func parseFolder(n *node) Folder {
	num := func(s string) int { v, _ := strconv.Atoi(n.ChildText(s)); return v }
	return Folder{
		FolderId:         folderIdOf(n.Child("FolderId")),
		ParentFolderId:   folderIdOf(n.Child("ParentFolderId")),
		DisplayName:      n.ChildText("DisplayName"),
		FolderClass:      n.ChildText("FolderClass"),
		TotalCount:       num("TotalCount"),
		UnreadCount:      num("UnreadCount"),
		ChildFolderCount: num("ChildFolderCount"),
		ChangeMark:       parseChangeMark(n),
	}
}

// parseItem reads a t:Message (or Item, CalendarItem, MeetingRequest, ...).
func parseItem(n *node) Item {
	it := Item{
		ItemId:           itemIdOf(n.Child("ItemId")),
		ParentFolderId:   folderIdOf(n.Child("ParentFolderId")),
		ItemClass:        n.ChildText("ItemClass"),
		Subject:          n.ChildText("Subject"),
		DateTimeReceived: parseTime(n.ChildText("DateTimeReceived")),
		IsRead:           parseBool(n.ChildText("IsRead")),
	}
	if mb := n.Child("From").Child("Mailbox"); mb != nil {
		it.From = Mailbox{Name: mb.ChildText("Name"), EmailAddress: mb.ChildText("EmailAddress")}
	}
	return it
}

// errNoEnvelope is returned for input holding no XML element at all.
var errNoEnvelope = errors.New("no XML element in the input")
