package ews

import (
	"time"

	"github.com/ewsmon/ewsmon/internal/xmltree"
)

// XML namespaces. Elements are always matched by namespace and local name,
// never by prefix.
const (
	NSSoap     = xmltree.NSSoap
	NSMessages = xmltree.NSMessages
	NSTypes    = xmltree.NSTypes
)

// ItemId identifies an item (t:ItemId and friends). Id is opaque base64.
type ItemId struct {
	Id        string `xml:"Id,attr"`
	ChangeKey string `xml:"ChangeKey,attr,omitempty"`
}

// IsZero reports whether the id is absent.
func (i ItemId) IsZero() bool { return i.Id == "" }

// FolderId identifies a folder (t:FolderId, t:ParentFolderId, ...).
type FolderId struct {
	Id        string `xml:"Id,attr"`
	ChangeKey string `xml:"ChangeKey,attr,omitempty"`
}

// IsZero reports whether the id is absent.
func (f FolderId) IsZero() bool { return f.Id == "" }

// FolderRef names a folder in a request: either a distinguished folder
// ("inbox", "msgfolderroot", ...) optionally in another Mailbox, or a real
// FolderId.
type FolderRef struct {
	Distinguished string // e.g. "inbox"; empty when Id is set
	Mailbox       string // optional SMTP address for a DistinguishedFolderId
	Id            FolderId
}

// Distinguished returns a reference to a distinguished folder such as "inbox".
func Distinguished(name string) FolderRef { return FolderRef{Distinguished: name} }

// FolderRefOf returns a reference to a folder by its FolderId.
func FolderRefOf(id FolderId) FolderRef { return FolderRef{Id: id} }

// String is the distinguished name or the folder id.
func (r FolderRef) String() string {
	if r.Distinguished != "" {
		return r.Distinguished
	}
	return r.Id.Id
}

// Folder is a folder as SyncFolderHierarchy and GetFolder report it.
type Folder struct {
	FolderId         FolderId
	ParentFolderId   FolderId
	DisplayName      string
	FolderClass      string
	TotalCount       int
	UnreadCount      int
	ChildFolderCount int
	// ChangeMark is read when GetFolder asked for it (GetFolderChangeMarks).
	ChangeMark FolderChangeMark
}

// ChangeKind is the kind of a SyncFolderHierarchy change.
type ChangeKind string

const (
	ChangeCreate ChangeKind = "Create"
	ChangeUpdate ChangeKind = "Update"
	ChangeDelete ChangeKind = "Delete"
)

// FolderChange is one t:Create, t:Update or t:Delete of SyncFolderHierarchy.
// For ChangeDelete only Folder.FolderId is set.
type FolderChange struct {
	Kind   ChangeKind
	Folder Folder
}

// SyncFolderHierarchyResult is the answer of SyncFolderHierarchy.
type SyncFolderHierarchyResult struct {
	SyncState                 string
	IncludesLastFolderInRange bool
	Changes                   []FolderChange
}

// Mailbox is a t:Mailbox / sender.
type Mailbox struct {
	Name         string
	EmailAddress string
}

// Item is what GetItem returns for an event's details.
type Item struct {
	ItemId           ItemId
	ParentFolderId   FolderId
	ItemClass        string
	Subject          string
	From             Mailbox
	DateTimeReceived time.Time
	IsRead           bool
}

// ServerVersionInfo is the t:ServerVersionInfo header of a response.
type ServerVersionInfo struct {
	MajorVersion     int
	MinorVersion     int
	MajorBuildNumber int
	MinorBuildNumber int
	Version          string // e.g. "V2017_07_11" or "Exchange2013"
}

// String renders e.g. "15.1.2507.6 (V2017_07_11)"; empty when unknown.
func (v ServerVersionInfo) String() string {
	if v.MajorVersion == 0 && v.Version == "" {
		return ""
	}
	s := itoa(v.MajorVersion) + "." + itoa(v.MinorVersion) + "." + itoa(v.MajorBuildNumber) + "." + itoa(v.MinorBuildNumber)
	if v.Version != "" {
		s += " (" + v.Version + ")"
	}
	return s
}
