package sim

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

type subKind byte

const (
	kindPull      subKind = 1
	kindPush      subKind = 2
	kindStreaming subKind = 3
)

func (k subKind) String() string {
	switch k {
	case kindPull:
		return "pull"
	case kindPush:
		return "push"
	}
	return "streaming"
}

// subscription is one Subscribe's state. Guarded by Server.mu.
type subscription struct {
	id    string
	kind  subKind
	mb    *mailbox
	owner string // normalised user name ("" without authentication)

	all     bool
	folders map[string]bool
	types   map[ews.EventType]bool
	version string // the Subscribe's RequestServerVersion
	unread  bool   // folder ModifiedEvents carry UnreadCount (sendsUnreadCount)

	// pos is the journal sequence number of the last event delivered:
	// streaming and push deliver from it; pull answers from the client's
	// watermark and only records it.
	pos uint64

	// pull
	timeout  time.Duration
	lastPoll time.Time
	// streaming
	conn       *streamConn
	lastDetach time.Time
	// push
	url        string
	statusFreq time.Duration
	wakeCh     chan struct{}

	done chan struct{} // closed when the subscription ends
}

func (sub *subscription) wants(je *journalEvent) bool {
	ev := &je.ev
	if !sub.types[ev.Type] {
		return false
	}
	if sub.all {
		return je.scope != scopeFolders
	}
	if je.scope == scopeAll {
		return false
	}
	return sub.folders[ev.ParentFolderId.Id] || sub.folders[ev.OldParentFolderId.Id] ||
		(!ev.FolderId.IsZero() && sub.folders[ev.FolderId.Id])
}

// wake tells whoever delivers this subscription's events that there are new
// ones. Caller holds Server.mu.
func (sub *subscription) wake() {
	var ch chan struct{}
	switch sub.kind {
	case kindStreaming:
		if sub.conn != nil {
			ch = sub.conn.wake
		}
	case kindPush:
		ch = sub.wakeCh
	}
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (s *Server) newSubID(kind subKind, mb int) string {
	s.subCount++
	b := make([]byte, 0, 20)
	b = append(b, 0x10, byte(kind))
	b = binary.BigEndian.AppendUint16(b, uint16(mb))
	b = binary.BigEndian.AppendUint64(b, s.subCount)
	b = append(b, s.salt[:]...)
	return base64.StdEncoding.EncodeToString(b)
}

func wellFormedSubID(id string) bool {
	b, err := base64.StdEncoding.DecodeString(id)
	return err == nil && len(b) == 20 && b[0] == 0x10 && b[1] >= 1 && b[1] <= 3
}

func normUser(u string) string {
	u = strings.ToLower(u)
	if i := strings.LastIndexByte(u, '\\'); i >= 0 {
		u = u[i+1:]
	}
	if i := strings.IndexByte(u, '@'); i >= 0 {
		u = u[:i]
	}
	return u
}

// expiredNow reports whether a subscription has outlived its timeout.
func (s *Server) expiredNow(sub *subscription, now time.Time) bool {
	switch sub.kind {
	case kindPull:
		return now.Sub(sub.lastPoll) >= sub.timeout
	case kindStreaming:
		return sub.conn == nil && now.Sub(sub.lastDetach) >= s.cfg.StreamingExpiry
	}
	return false
}

// endSub removes a subscription. With a code, later requests for it get that
// code (ErrorExpiredSubscription); without, ErrorSubscriptionNotFound. An
// open stream carrying it is told (code) or silently loses it ("").
func (s *Server) endSub(sub *subscription, code string) {
	if s.subs[sub.id] != sub {
		return
	}
	delete(s.subs, sub.id)
	close(sub.done)
	if code != "" {
		if len(s.gone) > 10000 {
			clear(s.gone)
		}
		s.gone[sub.id] = code
	}
	if sub.conn != nil {
		sub.conn.drop(sub, code)
		sub.conn = nil
	}
}

// sweep expires every subscription past its timeout. Caller holds s.mu.
func (s *Server) sweep(now time.Time) {
	for _, sub := range s.subs {
		if s.expiredNow(sub, now) {
			s.endSub(sub, "ErrorExpiredSubscription")
		}
	}
}

// lookupSub finds a live subscription of the wanted kind that the caller
// owns. Caller holds s.mu.
func (c *call) lookupSub(id string, kind subKind) (*subscription, *ewsError) {
	s := c.s
	sub := s.subs[id]
	if sub == nil {
		if code := s.gone[id]; code != "" {
			return nil, newErr(code)
		}
		if !wellFormedSubID(id) {
			return nil, &ewsError{Code: "ErrorInvalidSubscription", Text: "The subscription id is not one this server issued."}
		}
		return nil, newErr("ErrorSubscriptionNotFound")
	}
	if s.expiredNow(sub, s.clock.Now()) {
		s.endSub(sub, "ErrorExpiredSubscription")
		return nil, newErr("ErrorExpiredSubscription")
	}
	if kind != 0 && sub.kind != kind {
		return nil, &ewsError{Code: "ErrorInvalidSubscription", Text: fmt.Sprintf("The subscription is a %s subscription; %s needs a %s one.", sub.kind, c.op.Local, kind)}
	}
	if sub.owner != normUser(c.user) {
		return nil, newErr("ErrorSubscriptionAccessDenied")
	}
	return sub, nil
}

// subscribeRequest is what a Subscribe asks for, checked against the
// schema.
type subscribeRequest struct {
	req        *xnode // the Pull/Push/StreamingSubscriptionRequest
	kind       subKind
	all        bool
	types      map[ews.EventType]bool
	timeout    time.Duration // pull
	statusFreq time.Duration // push
	pushURL    string
}

func (c *call) subscribe() {
	r, ok := c.parseSubscribe()
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	sub, e := c.newSubscription(r)
	if e != nil {
		s.mu.Unlock()
		c.replyErr(e)
		return
	}
	if s.closing {
		s.mu.Unlock()
		c.s.writeFault(c.w, "ErrorServerBusy", "The server is shutting down.", [][2]string{{"BackOffMilliseconds", "30000"}}, "")
		return
	}
	s.subs[sub.id] = sub
	if sub.kind == kindPush {
		sub.wakeCh = make(chan struct{}, 1)
		s.wg.Add(1)
		go s.runPush(sub)
	}
	inner := `<m:SubscriptionId>` + sub.id + `</m:SubscriptionId>`
	if sub.kind != kindStreaming {
		inner += `<m:Watermark>` + encodeWatermark(sub.mb, sub.pos) + `</m:Watermark>`
	}
	s.mu.Unlock()
	// Affinity: the cookie that a client must send back on the group's
	// later requests (Exchange names the mailbox server in it).
	http.SetCookie(c.w, &http.Cookie{Name: "X-BackEndOverrideCookie", Value: "SIMMBX01.sim.ewsmon.local~" + strconv.Itoa(1941996295+sub.mb.idx), Path: "/", HttpOnly: true})
	c.reply(c.ok(inner))
}

// parseSubscribe reads the Subscribe request; when it is not valid it
// answers (a schema fault, or an invalid push URL) and returns false.
func (c *call) parseSubscribe() (*subscribeRequest, bool) {
	r := &subscribeRequest{}
	for _, k := range c.op.Kids {
		switch {
		case k.Is("PullSubscriptionRequest"):
			r.req, r.kind = k, kindPull
		case k.Is("PushSubscriptionRequest"):
			r.req, r.kind = k, kindPush
		case k.Is("StreamingSubscriptionRequest"):
			r.req, r.kind = k, kindStreaming
		}
	}
	if r.req == nil {
		c.schema("Subscribe needs a PullSubscriptionRequest, PushSubscriptionRequest or StreamingSubscriptionRequest.")
		return nil, false
	}
	r.all = r.req.Attribute("SubscribeToAllFolders") == "true" || r.req.Attribute("SubscribeToAllFolders") == "1"
	var violation string
	if r.types, violation = requestedEventTypes(r.req); violation != "" {
		c.schema(violation)
		return nil, false
	}
	return r, c.parseKindParams(r)
}

// requestedEventTypes reads EventTypes; violation says what is wrong with them.
func requestedEventTypes(req *xnode) (types map[ews.EventType]bool, violation string) {
	types = map[ews.EventType]bool{}
	for _, t := range req.Child("EventTypes").Children("EventType") {
		et := ews.EventType(strings.TrimSpace(t.Text))
		if !slices.Contains(ews.AllEventTypes, et) {
			return nil, fmt.Sprintf("The value %q is not a valid EventType.", t.Text)
		}
		types[et] = true
	}
	if len(types) == 0 {
		return nil, "Subscribe needs EventTypes with at least one EventType."
	}
	return types, ""
}

// parseKindParams reads the pull Timeout, or the push StatusFrequency and
// URL, answering and returning false when they are not valid.
func (c *call) parseKindParams(r *subscribeRequest) bool {
	minutes := func(el string) (time.Duration, bool) {
		n, err := strconv.Atoi(r.req.ChildText(el))
		if err != nil || n < 1 || n > 1440 {
			c.schema(el + " must be a number of minutes from 1 to 1440.")
			return 0, false
		}
		return time.Duration(n) * time.Minute, true
	}
	var ok bool
	switch r.kind {
	case kindPull:
		r.timeout, ok = minutes("Timeout")
		return ok
	case kindPush:
		if r.statusFreq, ok = minutes("StatusFrequency"); !ok {
			return false
		}
		r.statusFreq = r.statusFreq / time.Minute * c.s.pushMinute()
		r.pushURL = r.req.ChildText("URL")
		u, err := url.Parse(r.pushURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.replyErr(newErr("ErrorInvalidPushSubscriptionUrl"))
			return false
		}
	}
	return true
}

// newSubscription makes the subscription r asks for in the acting mailbox,
// or says why it cannot be made. It does not register it. s.mu is held.
func (c *call) newSubscription(r *subscribeRequest) (*subscription, *ewsError) {
	s := c.s
	now := s.clock.Now()
	s.sweep(now)
	mb := c.acting
	folders, e := c.subscribedFolders(r, mb)
	if e != nil {
		return nil, e
	}
	live := 0
	for _, o := range s.subs {
		if o.mb == mb {
			live++
		}
	}
	if live >= s.cfg.MaxSubscriptions {
		return nil, newErr("ErrorExceededSubscriptionCount")
	}
	pos := mb.head()
	if w := r.req.ChildText("Watermark"); w != "" && r.kind != kindStreaming {
		p, ok := mb.validWatermark(w)
		if !ok {
			return nil, newErr("ErrorInvalidWatermark")
		}
		pos = p
	}
	return &subscription{
		id: s.newSubID(r.kind, mb.idx), kind: r.kind, mb: mb, owner: normUser(c.user),
		all: r.all, folders: folders, types: r.types, pos: pos,
		version: c.version, unread: sendsUnreadCount(c.version),
		timeout: r.timeout, lastPoll: now, lastDetach: now,
		url: r.pushURL, statusFreq: r.statusFreq,
		done: make(chan struct{}),
	}, nil
}

// subscribedFolders resolves FolderIds: all in one mailbox, and that the
// acting one (no delegate subscriptions). s.mu is held.
func (c *call) subscribedFolders(r *subscribeRequest, mb *mailbox) (map[string]bool, *ewsError) {
	folders := map[string]bool{}
	refs := folderRefs(r.req.Child("FolderIds"))
	if !r.all && len(refs) == 0 {
		return nil, &ewsError{Code: "ErrorInvalidSubscriptionRequest", Text: "Subscribe needs FolderIds or SubscribeToAllFolders=\"true\"."}
	}
	var target *mailbox
	for _, ref := range refs {
		f, e := c.resolveFolder(ref)
		if e != nil {
			return nil, e
		}
		if target != nil && target != f.mb {
			return nil, &ewsError{Code: "ErrorInvalidSubscriptionRequest", Text: "One subscription cannot cover folders of several mailboxes."}
		}
		target = f.mb
		folders[f.id] = true
	}
	if target != nil && target != mb {
		return nil, newErr("ErrorSubscriptionDelegateAccessNotSupported")
	}
	return folders, nil
}

// notificationXML renders events (with watermarks when withWM) or, when
// there are none, a StatusEvent.
func notificationXML(b *strings.Builder, el string, sub *subscription, prev uint64, more bool, evs []journalEvent, withWM bool, statusWM uint64) {
	b.WriteString(`<m:` + el + `><t:SubscriptionId>` + sub.id + `</t:SubscriptionId>`)
	if withWM {
		b.WriteString(`<t:PreviousWatermark>` + encodeWatermark(sub.mb, prev) + `</t:PreviousWatermark>`)
		b.WriteString(`<t:MoreEvents>` + strconv.FormatBool(more) + `</t:MoreEvents>`)
	}
	if len(evs) == 0 {
		b.WriteString(`<t:StatusEvent><t:Watermark>` + encodeWatermark(sub.mb, statusWM) + `</t:Watermark></t:StatusEvent>`)
	}
	for _, je := range evs {
		if !withWM {
			if !sub.unread && je.xmlNoUnread != "" {
				b.WriteString(je.xmlNoUnread)
			} else {
				b.WriteString(je.xml)
			}
			continue
		}
		ev := je.ev
		if !sub.unread {
			ev.UnreadCount = nil
		}
		eventXML(b, ev, encodeWatermark(sub.mb, je.seq))
	}
	b.WriteString(`</m:` + el + `>`)
}

func eventXML(b *strings.Builder, ev ews.Event, wm string) {
	b.WriteString(`<t:` + string(ev.Type) + `>`)
	if wm != "" {
		b.WriteString(`<t:Watermark>` + wm + `</t:Watermark>`)
	}
	b.WriteString(`<t:TimeStamp>` + xmlTime(ev.TimeStamp) + `</t:TimeStamp>`)
	if !ev.ItemId.IsZero() {
		b.WriteString(itemIdXML("ItemId", ev.ItemId))
	} else {
		b.WriteString(folderIdXML("FolderId", ev.FolderId))
	}
	b.WriteString(folderIdXML("ParentFolderId", ev.ParentFolderId))
	if ev.Type == ews.MovedEvent || ev.Type == ews.CopiedEvent {
		if !ev.OldItemId.IsZero() {
			b.WriteString(itemIdXML("OldItemId", ev.OldItemId))
		} else {
			b.WriteString(folderIdXML("OldFolderId", ev.OldFolderId))
		}
		b.WriteString(folderIdXML("OldParentFolderId", ev.OldParentFolderId))
	}
	if ev.Type == ews.ModifiedEvent && ev.UnreadCount != nil {
		b.WriteString(`<t:UnreadCount>` + strconv.Itoa(*ev.UnreadCount) + `</t:UnreadCount>`)
	}
	b.WriteString(`</t:` + string(ev.Type) + `>`)
}

// maxEventsPerNotification is what Exchange returns per GetEvents at most.
const maxEventsPerNotification = 50

func (c *call) getEvents() {
	id := c.op.ChildText("SubscriptionId")
	wm := c.op.ChildText("Watermark")
	if id == "" || wm == "" {
		c.schema("GetEvents needs a SubscriptionId and a Watermark.")
		return
	}
	s := c.s
	s.mu.Lock()
	sub, e := c.lookupSub(id, kindPull)
	if e != nil {
		s.mu.Unlock()
		c.replyErr(e)
		return
	}
	mb := sub.mb
	// The watermark the client sends is where GetEvents "begins to return
	// events" (Microsoft's GetEvents operation and Watermark reference
	// pages: it must be the last one the client received). The client's
	// watermark is the bookmark, not a position the server keeps: a client
	// that lost an answer sends the same watermark and gets the same events
	// again. One this history does not hold (another run, or dropped from
	// the journal) is ErrorInvalidWatermark.
	pos, ok := mb.validWatermark(wm)
	if !ok {
		code := "ErrorInvalidWatermark"
		if mb.trimmedWatermark(wm) {
			// Of this history, but the bounded journal dropped the
			// events after it: they are lost to this subscription.
			code = "ErrorMissedNotificationEvents"
			s.endSub(sub, code)
		}
		s.mu.Unlock()
		c.replyErr(newErr(code))
		return
	}
	sub.lastPoll = s.clock.Now()
	evs, next, more := mb.eventsAfter(pos, maxEventsPerNotification, sub.wants)
	sub.pos = next
	var b strings.Builder
	notificationXML(&b, "Notification", sub, pos, more, evs, true, next)
	s.mu.Unlock()
	c.reply(c.ok(b.String()))
}

func (c *call) unsubscribe() {
	id := c.op.ChildText("SubscriptionId")
	if id == "" {
		c.schema("Unsubscribe needs a SubscriptionId.")
		return
	}
	s := c.s
	s.mu.Lock()
	sub, e := c.lookupSub(id, 0)
	if e != nil {
		s.mu.Unlock()
		c.replyErr(e)
		return
	}
	s.endSub(sub, "")
	s.mu.Unlock()
	c.reply(c.ok(""))
}
