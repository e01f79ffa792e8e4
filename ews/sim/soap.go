package sim

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

const nsMT = ` xmlns:m="` + ews.NSMessages + `" xmlns:t="` + ews.NSTypes + `"`

// envelopeDoc wraps a Body child in the s:Envelope Exchange sends, with the
// profile's ServerVersionInfo.
func (p *Profile) envelopeDoc(body string) []byte {
	var b strings.Builder
	b.Grow(len(body) + 700)
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>`)
	b.WriteString(p.headerXML())
	b.WriteString(`</s:Header><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">`)
	b.WriteString(body)
	b.WriteString(`</s:Body></s:Envelope>`)
	return []byte(b.String())
}

// responseDoc is m:{op}Response holding the given response messages.
func (p *Profile) responseDoc(op string, msgs ...string) []byte {
	return p.envelopeDoc(responseBody(op, msgs...))
}

func responseBody(op string, msgs ...string) string {
	var b strings.Builder
	b.WriteString(`<m:` + op + `Response` + nsMT + `><m:ResponseMessages>`)
	for _, m := range msgs {
		b.WriteString(m)
	}
	b.WriteString(`</m:ResponseMessages></m:` + op + `Response>`)
	return b.String()
}

// okMsg is a successful m:{op}ResponseMessage with inner content.
func okMsg(op, inner string) string {
	return `<m:` + op + `ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>` + inner + `</m:` + op + `ResponseMessage>`
}

// ewsError is one ResponseClass="Error" answer.
type ewsError struct {
	Code string
	Text string
	XML  [][2]string // MessageXml t:Value Name/value pairs
}

func (e *ewsError) Error() string { return e.Code + ": " + e.Text }

var errorTexts = map[string]string{
	"ErrorSubscriptionNotFound":                   "The specified subscription was not found.",
	"ErrorExpiredSubscription":                    "The subscription has expired.",
	"ErrorInvalidSubscription":                    "The subscription is invalid.",
	"ErrorInvalidWatermark":                       "The watermark used for creating this subscription was not found.",
	"ErrorSubscriptionAccessDenied":               "Access is denied. Only the subscription owner may access the subscription.",
	"ErrorSubscriptionDelegateAccessNotSupported": "Subscriptions are not supported for delegate user access.",
	"ErrorNewEventStreamConnectionOpened":         "A new event stream connection was opened for this subscription; this one is closed.",
	"ErrorExceededConnectionCount":                "You have exceeded the maximum number of concurrent connections.",
	"ErrorExceededSubscriptionCount":              "You have exceeded the maximum number of subscriptions.",
	"ErrorMissedNotificationEvents":               "Events were lost because the subscription fell too far behind.",
	"ErrorFolderNotFound":                         "The specified folder could not be found in the store.",
	"ErrorItemNotFound":                           "The specified object was not found in the store.",
	"ErrorInvalidIdMalformed":                     "Id is malformed.",
	"ErrorNonExistentMailbox":                     "No mailbox with such guid or SMTP address.",
	"ErrorInvalidSyncStateData":                   "Synchronization state data is corrupt or otherwise invalid.",
	"ErrorNameResolutionNoResults":                "No results were found.",
	"ErrorInvalidPushSubscriptionUrl":             "The push subscription URL is invalid.",
	"ErrorInvalidRequest":                         "The request is invalid.",
}

func newErr(code string) *ewsError { return &ewsError{Code: code, Text: errorTexts[code]} }

func errMsg(op string, e *ewsError, inner string) string {
	var b strings.Builder
	b.WriteString(`<m:` + op + `ResponseMessage ResponseClass="Error"><m:MessageText>` + esc(e.Text) + `</m:MessageText><m:ResponseCode>` + e.Code + `</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>`)
	if len(e.XML) > 0 {
		b.WriteString(`<m:MessageXml>`)
		for _, kv := range e.XML {
			b.WriteString(`<t:Value Name="` + esc(kv[0]) + `">` + esc(kv[1]) + `</t:Value>`)
		}
		b.WriteString(`</m:MessageXml>`)
	}
	b.WriteString(inner)
	b.WriteString(`</m:` + op + `ResponseMessage>`)
	return b.String()
}

// faultDoc is a SOAP fault as Exchange sends it (HTTP 500): faultcode in the
// types namespace, detail with the errors-namespace ResponseCode and Message
// and a t:MessageXml carrying values such as BackOffMilliseconds.
func (p *Profile) faultDoc(code, text string, values [][2]string, extra string) []byte {
	var b strings.Builder
	b.WriteString(`<s:Fault><faultcode xmlns:a="` + ews.NSTypes + `">a:` + code + `</faultcode><faultstring xml:lang="en-US">` + esc(text) + `</faultstring><detail>`)
	b.WriteString(`<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">` + code + `</e:ResponseCode>`)
	b.WriteString(`<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">` + esc(text) + `</e:Message>`)
	if len(values) > 0 || extra != "" {
		b.WriteString(`<t:MessageXml xmlns:t="` + ews.NSTypes + `">`)
		for _, kv := range values {
			b.WriteString(`<t:Value Name="` + esc(kv[0]) + `">` + esc(kv[1]) + `</t:Value>`)
		}
		b.WriteString(extra)
		b.WriteString(`</t:MessageXml>`)
	}
	b.WriteString(`</detail></s:Fault>`)
	return p.envelopeDoc(b.String())
}

// writeXML sends one XML document, unless a fault knob corrupts it.
func (s *Server) writeXML(w http.ResponseWriter, status int, doc []byte) {
	if s.faults.takeCorrupt() {
		doc = corrupt(doc)
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
	w.WriteHeader(status)
	_, _ = w.Write(doc)
}

func (s *Server) writeFault(w http.ResponseWriter, code, text string, values [][2]string, extra string) {
	s.writeXML(w, http.StatusInternalServerError, s.profile.faultDoc(code, text, values, extra))
}

// call is one EWS request being served.
type call struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	user    string
	header  *xnode
	op      *xnode
	version string   // RequestServerVersion
	acting  *mailbox // the mailbox the caller acts as (impersonation, login, anchor, default)
}

// Operations the simulator implements.
var handlers = map[string]func(*call){
	"GetFolder":           (*call).getFolder,
	"FindFolder":          (*call).findFolder,
	"GetItem":             (*call).getItem,
	"SyncFolderHierarchy": (*call).syncFolderHierarchy,
	"SyncFolderItems":     (*call).syncFolderItems,
	"Subscribe":           (*call).subscribe,
	"GetEvents":           (*call).getEvents,
	"GetStreamingEvents":  (*call).getStreamingEvents,
	"Unsubscribe":         (*call).unsubscribe,
}

// Real EWS operations the simulator does not implement, answered with a
// well-formed m:{op}Response carrying ErrorInvalidOperation (ResolveNames:
// ErrorNameResolutionNoResults, which clients probing the server version
// treat as success).
var unimplemented = map[string]bool{
	"CreateItem": true, "DeleteItem": true, "UpdateItem": true, "SendItem": true, "DeleteFolder": true,
	"EmptyFolder": true, "CreateFolder": true, "UpdateFolder": true, "MoveFolder": true, "CopyFolder": true,
	"CreateFolderPath": true, "CreateAttachment": true, "DeleteAttachment": true, "GetAttachment": true,
	"UploadItems": true, "ExportItems": true, "MarkAllItemsAsRead": true, "FindItem": true, "MoveItem": true,
	"ArchiveItem": true, "CopyItem": true, "ResolveNames": true, "ExpandDL": true, "GetServerTimeZones": true,
	"ConvertId": true, "GetUserConfiguration": true, "CreateUserConfiguration": true,
	"DeleteUserConfiguration": true, "UpdateUserConfiguration": true, "MarkAsJunk": true,
}

// requiredInError is content the schema requires even in an error answer.
var requiredInError = map[string]string{
	"GetServerTimeZones": `<m:TimeZoneDefinitions/>`,
	"CreateItem":         `<m:Items/>`,
	"UpdateItem":         `<m:Items/>`,
	"MoveItem":           `<m:Items/>`,
	"CopyItem":           `<m:Items/>`,
	"ArchiveItem":        `<m:Items/>`,
	"CreateAttachment":   `<m:Attachments/>`,
	"GetAttachment":      `<m:Attachments/>`,
}

// serveEWS handles POST /EWS/Exchange.asmx. It returns the operation name
// and user for the log.
func (s *Server) serveEWS(w http.ResponseWriter, r *http.Request) (string, string) {
	user, ok := s.authenticate(w, r)
	if !ok {
		return "", ""
	}
	header, op, ok := s.readEnvelope(w, r)
	if !ok {
		return "", user
	}
	c := &call{s: s, w: w, r: r, user: user, header: header, op: op}
	if !c.admitted() {
		return op.Local, user
	}
	s.dispatch(c)
	return op.Local, user
}

// readEnvelope reads a POSTed SOAP envelope (after any injected delay) and
// returns its Header (nil without one) and its one operation element; when
// there is no such envelope it answers and returns false.
func (s *Server) readEnvelope(w http.ResponseWriter, r *http.Request) (header, op *xnode, ok bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "405 method not allowed: EWS requests are POSTed SOAP envelopes", http.StatusMethodNotAllowed)
		return nil, nil, false
	}
	if d := s.faults.delayFor(); d > 0 {
		select {
		case <-s.clock.After(d):
		case <-r.Context().Done():
			return nil, nil, false
		case <-s.ctx.Done():
			return nil, nil, false
		}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 8<<20))
	if err != nil {
		s.writeFault(w, "ErrorSchemaValidation", "The request failed schema validation: could not read the request body: "+err.Error(), nil, "")
		return nil, nil, false
	}
	root, err := parseXML(data)
	if err != nil {
		line := 1
		var xe *xmlError
		if errors.As(err, &xe) {
			line = xe.Line
		}
		s.schemaFault(w, line, "The request is not well-formed XML: "+err.Error())
		return nil, nil, false
	}
	if !root.IsSoap("Envelope") {
		s.schemaFault(w, 1, fmt.Sprintf("The root element is {%s}%s, not a SOAP 1.1 Envelope.", root.Space, root.Local))
		return nil, nil, false
	}
	var body *xnode
	for _, k := range root.Kids {
		switch {
		case k.IsSoap("Header"):
			header = k
		case k.IsSoap("Body"):
			body = k
		}
	}
	if body == nil || len(body.Kids) != 1 {
		s.schemaFault(w, 1, "The SOAP Body must hold exactly one EWS operation element.")
		return nil, nil, false
	}
	return header, body.Kids[0], true
}

// admitted checks what every operation needs before its handler runs: an
// injected ServerBusy, the RequestServerVersion, the operation's
// namespace, the acting mailbox. When one fails it answers and returns
// false.
func (c *call) admitted() bool {
	s, w, op := c.s, c.w, c.op
	if n, backoff := s.faults.takeBusy(); n {
		ms := strconv.FormatInt(backoff.Milliseconds(), 10)
		s.writeFault(w, "ErrorServerBusy", "The server cannot service this request right now. Try again later.", [][2]string{{"BackOffMilliseconds", ms}}, "")
		return false
	}
	// RequestServerVersion: a version the profile does not know (a newer
	// one) is refused as Exchange refuses it, with ErrorInvalidServerVersion
	// (Microsoft's RequestServerVersion reference lists which release each
	// value targets; the fault's form is modelled on the server's other
	// SOAP faults). Without the header the request targets Exchange 2007
	// SP1 (modelled: the oldest version every profile accepts).
	c.version = "Exchange2007_SP1"
	if rv := c.header.Child("RequestServerVersion"); rv != nil {
		c.version = strings.TrimSpace(rv.Attribute("Version"))
		if !s.profile.accepts(c.version) {
			s.writeFault(w, "ErrorInvalidServerVersion", fmt.Sprintf("The specified server version is invalid: %s does not know %q (it accepts up to %s).",
				s.profile.Title, c.version, s.profile.Accepts[len(s.profile.Accepts)-1]), nil, "")
			return false
		}
	}
	if op.Space != ews.NSMessages && op.Space != "" {
		s.writeFault(w, "ErrorInvalidRequest", fmt.Sprintf("The request is invalid: {%s}%s is not an EWS operation.", op.Space, op.Local), nil, "")
		return false
	}
	if e := c.resolveActing(); e != nil {
		s.writeFault(w, e.Code, e.Text, nil, "")
		return false
	}
	return true
}

// dispatch runs the operation's handler, or answers as Exchange does for
// an operation the simulator does not implement or does not know.
func (s *Server) dispatch(c *call) {
	op := c.op.Local
	switch {
	case handlers[op] != nil:
		handlers[op](c)
	case op == "ResolveNames":
		s.writeXML(c.w, http.StatusOK, s.profile.responseDoc(op, errMsg(op, newErr("ErrorNameResolutionNoResults"), "")))
	case unimplemented[op]:
		e := &ewsError{Code: "ErrorInvalidOperation", Text: "The ewsmon simulator does not implement " + op + "."}
		s.writeXML(c.w, http.StatusOK, s.profile.responseDoc(op, errMsg(op, e, requiredInError[op])))
	default:
		s.writeFault(c.w, "ErrorInvalidRequest", "The request is invalid: the ewsmon simulator does not know the operation "+op+".", nil, "")
	}
}

// schemaFault answers ErrorSchemaValidation the way Exchange does, with the
// position and the violation in MessageXml.
func (s *Server) schemaFault(w http.ResponseWriter, line int, violation string) {
	extra := `<t:LineNumber>` + strconv.Itoa(line) + `</t:LineNumber><t:LinePosition>0</t:LinePosition><t:Violation>` + esc(violation) + `</t:Violation>`
	s.writeFault(w, "ErrorSchemaValidation", "The request failed schema validation: "+violation, nil, extra)
}

// resolveActing picks the mailbox the caller acts as.
func (c *call) resolveActing() *ewsError {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if imp := c.header.Child("ExchangeImpersonation"); imp != nil {
		sid := imp.Child("ConnectingSID")
		addr := sid.ChildText("PrimarySmtpAddress")
		if addr == "" {
			addr = sid.ChildText("SmtpAddress")
		}
		if addr == "" {
			addr = sid.ChildText("PrincipalName")
		}
		mb := s.byAddr[strings.ToLower(addr)]
		if mb == nil {
			return &ewsError{Code: "ErrorNonExistentMailbox", Text: "The impersonated mailbox " + addr + " does not exist."}
		}
		c.acting = mb
		return nil
	}
	if mb := s.mailboxForUser(c.user); mb != nil {
		c.acting = mb
		return nil
	}
	if a := c.r.Header.Get("X-AnchorMailbox"); a != "" {
		if mb := s.byAddr[strings.ToLower(strings.TrimSpace(a))]; mb != nil {
			c.acting = mb
			return nil
		}
	}
	c.acting = s.mailboxes[0]
	return nil
}

// reply sends a normal response.
func (c *call) reply(msgs ...string) {
	c.s.writeXML(c.w, http.StatusOK, c.s.profile.responseDoc(c.op.Local, msgs...))
}

func (c *call) ok(inner string) string  { return okMsg(c.op.Local, inner) }
func (c *call) fail(e *ewsError) string { return errMsg(c.op.Local, e, "") }
func (c *call) schema(violation string) { c.s.schemaFault(c.w, 1, violation) }
func (c *call) replyErr(e *ewsError)    { c.reply(c.fail(e)) }
func xmlTime(t time.Time) string        { return t.UTC().Format("2006-01-02T15:04:05Z") }
func folderIdXML(el string, f ews.FolderId) string {
	return `<t:` + el + ` Id="` + esc(f.Id) + `" ChangeKey="` + esc(f.ChangeKey) + `"/>`
}
func itemIdXML(el string, i ews.ItemId) string {
	return `<t:` + el + ` Id="` + esc(i.Id) + `" ChangeKey="` + esc(i.ChangeKey) + `"/>`
}
