package ews

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// xw writes the XML of a request. Requests always use the prefixes soap:,
// t: and m: declared on the envelope, so the output reads like Microsoft's
// examples.
type xw struct{ b bytes.Buffer }

func (w *xw) start(name string, attrs ...string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteByte(' ')
		w.b.WriteString(attrs[i])
		w.b.WriteString(`="`)
		_ = xml.EscapeText(&w.b, []byte(attrs[i+1]))
		w.b.WriteByte('"')
	}
	w.b.WriteByte('>')
}

func (w *xw) end(name string) {
	w.b.WriteString("</")
	w.b.WriteString(name)
	w.b.WriteByte('>')
}

func (w *xw) empty(name string, attrs ...string) {
	w.start(name, attrs...)
	w.b.Truncate(w.b.Len() - 1)
	w.b.WriteString("/>")
}

func (w *xw) elem(name, text string) {
	w.start(name)
	_ = xml.EscapeText(&w.b, []byte(text))
	w.end(name)
}

// request is one EWS operation's body.
type request interface {
	op() string // "Subscribe", "GetEvents", ...
	validate() error
	write(w *xw)
}

// headerOptions are the SOAP header values every request carries.
type headerOptions struct {
	RequestServerVersion string
	ImpersonateSMTP      string
}

// buildEnvelope renders req as a whole SOAP 1.1 envelope.
func buildEnvelope(h headerOptions, req request) ([]byte, error) {
	if err := req.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", req.op(), err)
	}
	v := h.RequestServerVersion
	if v == "" {
		v = DefaultRequestServerVersion
	}
	w := &xw{}
	w.b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	w.start("soap:Envelope", "xmlns:soap", NSSoap, "xmlns:t", NSTypes, "xmlns:m", NSMessages)
	w.start("soap:Header")
	w.empty("t:RequestServerVersion", "Version", v)
	if h.ImpersonateSMTP != "" {
		w.start("t:ExchangeImpersonation")
		w.start("t:ConnectingSID")
		w.elem("t:PrimarySmtpAddress", h.ImpersonateSMTP)
		w.end("t:ConnectingSID")
		w.end("t:ExchangeImpersonation")
	}
	w.end("soap:Header")
	w.start("soap:Body")
	req.write(w)
	w.end("soap:Body")
	w.end("soap:Envelope")
	return w.b.Bytes(), nil
}

// DefaultRequestServerVersion is sent when Config.RequestServerVersion is
// empty.
const DefaultRequestServerVersion = "Exchange2013"

var serverVersionRe = regexp.MustCompile(`^(Exchange20(07|09|10|12|13|15|16|19)(_SP[0-9])?|V20[0-9]{2}_[0-9]{2}_[0-9]{2})$`)

// ValidRequestServerVersion reports whether v has the form of a
// t:ExchangeVersionType value (e.g. Exchange2013, Exchange2010_SP2,
// V2016_10_10).
func ValidRequestServerVersion(v string) bool { return serverVersionRe.MatchString(v) }

// distinguishedNames are the t:DistinguishedFolderIdNameType values.
var distinguishedNames = strings.Fields(`calendar contacts deleteditems drafts inbox journal notes outbox
sentitems tasks msgfolderroot publicfoldersroot root junkemail searchfolders voicemail recoverableitemsroot
recoverableitemsdeletions recoverableitemsversions recoverableitemspurges recoverableitemsdiscoveryholds
archiveroot archivemsgfolderroot archivedeleteditems archiveinbox archiverecoverableitemsroot
archiverecoverableitemsdeletions archiverecoverableitemsversions archiverecoverableitemspurges
archiverecoverableitemsdiscoveryholds syncissues conflicts localfailures serverfailures recipientcache
quickcontacts conversationhistory adminauditlogs todosearch mycontacts directory imcontactlist peopleconnect
favorites`)

// IsDistinguishedFolder reports whether name is a distinguished folder id
// such as "inbox" or "msgfolderroot".
func IsDistinguishedFolder(name string) bool {
	for _, d := range distinguishedNames {
		if d == name {
			return true
		}
	}
	return false
}

func validateFolderRefs(refs []FolderRef) error {
	for _, r := range refs {
		switch {
		case r.Distinguished != "" && !r.Id.IsZero():
			return fmt.Errorf("folder reference %q has both a distinguished name and an id", r.Distinguished)
		case r.Distinguished != "":
			if !IsDistinguishedFolder(r.Distinguished) {
				return fmt.Errorf("%q is not a distinguished folder name (e.g. inbox, msgfolderroot, deleteditems)", r.Distinguished)
			}
		case r.Id.IsZero():
			return errors.New("empty folder reference")
		}
	}
	return nil
}

func writeFolderRef(w *xw, r FolderRef) {
	if r.Distinguished != "" {
		if r.Mailbox == "" {
			w.empty("t:DistinguishedFolderId", "Id", r.Distinguished)
			return
		}
		w.start("t:DistinguishedFolderId", "Id", r.Distinguished)
		w.start("t:Mailbox")
		w.elem("t:EmailAddress", r.Mailbox)
		w.end("t:Mailbox")
		w.end("t:DistinguishedFolderId")
		return
	}
	writeId(w, "t:FolderId", r.Id.Id, r.Id.ChangeKey)
}

func writeId(w *xw, name, id, changeKey string) {
	if changeKey != "" {
		w.empty(name, "Id", id, "ChangeKey", changeKey)
	} else {
		w.empty(name, "Id", id)
	}
}

// SubscribeRequest is a Subscribe operation: a pull, streaming or push
// subscription on some folders or on all folders.
type SubscribeRequest struct {
	Mode Mode // ModePull, ModeStreaming or ModePush
	// Folders to watch; empty subscribes to all folders
	// (SubscribeToAllFolders="true").
	Folders []FolderRef
	// EventTypes to report; empty means all seven (AllEventTypes).
	EventTypes []EventType
	// Watermark resumes a pull or push subscription (not streaming).
	Watermark string
	// Timeout is the pull subscription's lifetime without a GetEvents, in
	// minutes (1..1440).
	Timeout int
	// StatusFrequency (minutes, 1..1440) and URL are for push.
	StatusFrequency int
	URL             string
}

func (SubscribeRequest) op() string { return "Subscribe" }

func (r SubscribeRequest) validate() error {
	if err := validateFolderRefs(r.Folders); err != nil {
		return err
	}
	for _, t := range r.EventTypes {
		ok := false
		for _, a := range AllEventTypes {
			ok = ok || a == t
		}
		if !ok {
			return fmt.Errorf("%q cannot be subscribed to (one of %v)", t, AllEventTypes)
		}
	}
	switch r.Mode {
	case ModePull:
		if r.Timeout < 1 || r.Timeout > 1440 {
			return fmt.Errorf("pull subscription Timeout must be 1..1440 minutes, not %d", r.Timeout)
		}
	case ModeStreaming:
		if r.Watermark != "" {
			return errors.New("a streaming subscription cannot resume from a watermark")
		}
	case ModePush:
		if r.StatusFrequency < 1 || r.StatusFrequency > 1440 {
			return fmt.Errorf("push subscription StatusFrequency must be 1..1440 minutes, not %d", r.StatusFrequency)
		}
		if r.URL == "" {
			return errors.New("a push subscription needs the URL of the listener")
		}
	default:
		return fmt.Errorf("unknown subscription mode %q", r.Mode)
	}
	return nil
}

func (r SubscribeRequest) write(w *xw) {
	w.start("m:Subscribe")
	name := map[Mode]string{ModePull: "m:PullSubscriptionRequest", ModeStreaming: "m:StreamingSubscriptionRequest", ModePush: "m:PushSubscriptionRequest"}[r.Mode]
	if len(r.Folders) == 0 {
		w.start(name, "SubscribeToAllFolders", "true")
	} else {
		w.start(name)
		w.start("t:FolderIds")
		for _, f := range r.Folders {
			writeFolderRef(w, f)
		}
		w.end("t:FolderIds")
	}
	types := r.EventTypes
	if len(types) == 0 {
		types = AllEventTypes
	}
	w.start("t:EventTypes")
	for _, t := range types {
		w.elem("t:EventType", t.SubscribeName())
	}
	w.end("t:EventTypes")
	if r.Watermark != "" && r.Mode != ModeStreaming {
		w.elem("t:Watermark", r.Watermark)
	}
	switch r.Mode {
	case ModePull:
		w.elem("t:Timeout", strconv.Itoa(r.Timeout))
	case ModePush:
		w.elem("t:StatusFrequency", strconv.Itoa(r.StatusFrequency))
		w.elem("t:URL", r.URL)
	}
	w.end(name)
	w.end("m:Subscribe")
}

// GetEventsRequest polls a pull subscription.
type GetEventsRequest struct {
	SubscriptionId string
	Watermark      string
}

func (GetEventsRequest) op() string { return "GetEvents" }

func (r GetEventsRequest) validate() error {
	if r.SubscriptionId == "" || r.Watermark == "" {
		return errors.New("GetEvents needs a SubscriptionId and a Watermark")
	}
	return nil
}

func (r GetEventsRequest) write(w *xw) {
	w.start("m:GetEvents")
	w.elem("m:SubscriptionId", r.SubscriptionId)
	w.elem("m:Watermark", r.Watermark)
	w.end("m:GetEvents")
}

// MaxStreamingSubscriptions is how many subscription ids one
// GetStreamingEvents request may carry.
const MaxStreamingSubscriptions = 200

// GetStreamingEventsRequest opens a streaming connection for up to 200
// streaming subscriptions, for ConnectionTimeout minutes (1..30).
type GetStreamingEventsRequest struct {
	SubscriptionIds   []string
	ConnectionTimeout int
}

func (GetStreamingEventsRequest) op() string { return "GetStreamingEvents" }

func (r GetStreamingEventsRequest) validate() error {
	if n := len(r.SubscriptionIds); n == 0 || n > MaxStreamingSubscriptions {
		return fmt.Errorf("GetStreamingEvents takes 1..%d subscription ids, not %d", MaxStreamingSubscriptions, n)
	}
	for _, id := range r.SubscriptionIds {
		if id == "" {
			return errors.New("empty subscription id")
		}
	}
	if r.ConnectionTimeout < 1 || r.ConnectionTimeout > 30 {
		return fmt.Errorf("ConnectionTimeout must be 1..30 minutes, not %d", r.ConnectionTimeout)
	}
	return nil
}

func (r GetStreamingEventsRequest) write(w *xw) {
	w.start("m:GetStreamingEvents")
	w.start("m:SubscriptionIds")
	for _, id := range r.SubscriptionIds {
		w.elem("t:SubscriptionId", id)
	}
	w.end("m:SubscriptionIds")
	w.elem("m:ConnectionTimeout", strconv.Itoa(r.ConnectionTimeout))
	w.end("m:GetStreamingEvents")
}

// UnsubscribeRequest ends a pull or streaming subscription.
type UnsubscribeRequest struct {
	SubscriptionId string
}

func (UnsubscribeRequest) op() string { return "Unsubscribe" }

func (r UnsubscribeRequest) validate() error {
	if r.SubscriptionId == "" {
		return errors.New("Unsubscribe needs a SubscriptionId")
	}
	return nil
}

func (r UnsubscribeRequest) write(w *xw) {
	w.start("m:Unsubscribe")
	w.elem("m:SubscriptionId", r.SubscriptionId)
	w.end("m:Unsubscribe")
}

// folderProperties are asked for in addition to the Default shape, so that
// every Folder field is filled.
var folderProperties = []string{
	"folder:ParentFolderId", "folder:DisplayName", "folder:FolderClass",
	"folder:TotalCount", "folder:UnreadCount", "folder:ChildFolderCount",
}

func writeFolderShape(w *xw, name string, changeMarks bool) {
	w.start(name)
	w.elem("t:BaseShape", "Default")
	w.start("t:AdditionalProperties")
	for _, p := range folderProperties {
		w.empty("t:FieldURI", "FieldURI", p)
	}
	if changeMarks {
		w.empty("t:ExtendedFieldURI", "PropertyTag", PropLocalCommitTimeMax, "PropertyType", "SystemTime")
		w.empty("t:ExtendedFieldURI", "PropertyTag", PropDeletedCountTotal, "PropertyType", "Integer")
	}
	w.end("t:AdditionalProperties")
	w.end(name)
}

// SyncFolderHierarchyRequest asks for the folder changes since SyncState
// ("" = all folders). SyncFolder limits the sync to a subtree; zero means
// the whole mailbox.
type SyncFolderHierarchyRequest struct {
	SyncState  string
	SyncFolder FolderRef
}

func (SyncFolderHierarchyRequest) op() string { return "SyncFolderHierarchy" }

func (r SyncFolderHierarchyRequest) validate() error {
	if r.SyncFolder != (FolderRef{}) {
		return validateFolderRefs([]FolderRef{r.SyncFolder})
	}
	return nil
}

func (r SyncFolderHierarchyRequest) write(w *xw) {
	w.start("m:SyncFolderHierarchy")
	writeFolderShape(w, "m:FolderShape", false)
	if r.SyncFolder != (FolderRef{}) {
		w.start("m:SyncFolderId")
		writeFolderRef(w, r.SyncFolder)
		w.end("m:SyncFolderId")
	}
	if r.SyncState != "" {
		w.elem("m:SyncState", r.SyncState)
	}
	w.end("m:SyncFolderHierarchy")
}

// GetFolderRequest reads folders (Default shape plus the Folder fields, and
// with ChangeMarks the two change properties of FolderChangeMark).
type GetFolderRequest struct {
	Folders     []FolderRef
	ChangeMarks bool
}

func (GetFolderRequest) op() string { return "GetFolder" }

func (r GetFolderRequest) validate() error {
	if len(r.Folders) == 0 {
		return errors.New("GetFolder needs at least one folder")
	}
	return validateFolderRefs(r.Folders)
}

func (r GetFolderRequest) write(w *xw) {
	w.start("m:GetFolder")
	writeFolderShape(w, "m:FolderShape", r.ChangeMarks)
	w.start("m:FolderIds")
	for _, f := range r.Folders {
		writeFolderRef(w, f)
	}
	w.end("m:FolderIds")
	w.end("m:GetFolder")
}

// FindFolderRequest lists the folders directly under a folder (Shallow
// traversal), up to 100 of them: how a client finds folders that have no
// distinguished id, such as the AllItems search folder under root.
type FindFolderRequest struct {
	Parent FolderRef
}

func (FindFolderRequest) op() string { return "FindFolder" }

func (r FindFolderRequest) validate() error { return validateFolderRefs([]FolderRef{r.Parent}) }

func (r FindFolderRequest) write(w *xw) {
	w.start("m:FindFolder", "Traversal", "Shallow")
	writeFolderShape(w, "m:FolderShape", false)
	w.empty("m:IndexedPageFolderView", "MaxEntriesReturned", "100", "Offset", "0", "BasePoint", "Beginning")
	w.start("m:ParentFolderIds")
	writeFolderRef(w, r.Parent)
	w.end("m:ParentFolderIds")
	w.end("m:FindFolder")
}

// itemProperties are the Item fields GetItem asks for (IdOnly shape).
var itemProperties = []string{
	"item:ParentFolderId", "item:ItemClass", "item:Subject", "message:From",
	"item:DateTimeReceived", "message:IsRead",
}

// GetItemRequest reads the details of items named by events.
type GetItemRequest struct {
	ItemIds []ItemId
}

func (GetItemRequest) op() string { return "GetItem" }

func (r GetItemRequest) validate() error {
	if len(r.ItemIds) == 0 {
		return errors.New("GetItem needs at least one item id")
	}
	for _, id := range r.ItemIds {
		if id.IsZero() {
			return errors.New("empty item id")
		}
	}
	return nil
}

func (r GetItemRequest) write(w *xw) {
	w.start("m:GetItem")
	w.start("m:ItemShape")
	w.elem("t:BaseShape", "IdOnly")
	w.start("t:AdditionalProperties")
	for _, p := range itemProperties {
		w.empty("t:FieldURI", "FieldURI", p)
	}
	w.end("t:AdditionalProperties")
	w.end("m:ItemShape")
	w.start("m:ItemIds")
	for _, id := range r.ItemIds {
		writeId(w, "t:ItemId", id.Id, id.ChangeKey)
	}
	w.end("m:ItemIds")
	w.end("m:GetItem")
}
