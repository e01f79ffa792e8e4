// Command streamserver is a replay server for scripts/perf.sh: an EWS
// endpoint that answers a streaming Subscribe, then on GetStreamingEvents
// sends ENVELOPES envelopes of PER events each (Created, NewMail and a
// folder Modified per new mail, ids of real length), as fast as the client
// reads, then holds the connection with heartbeats; Unsubscribe is OK and
// anything else is a SOAP error. It prints its URL on stdout.
//
//	go run ./scripts/streamserver -envelopes 2000 -per 51
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"
)

const head = `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">` +
	`<s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="2" MajorBuildNumber="1544" MinorBuildNumber="4" Version="V2017_07_11" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header><s:Body>`

const tail = `</s:Body></s:Envelope>`

const ns = ` xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"`

func main() {
	envelopes := flag.Int("envelopes", 2000, "envelopes of events to send")
	per := flag.Int("per", 51, "events per envelope (a multiple of 3)")
	flag.Parse()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	body := eventsBody(*envelopes, *per/3)
	fmt.Printf("http://%s/EWS/Exchange.asmx\n", ln.Addr())
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		switch {
		case bytes.Contains(req, []byte("GetStreamingEvents")):
			stream(w, r, body)
		case bytes.Contains(req, []byte("Unsubscribe")):
			io.WriteString(w, head+`<m:UnsubscribeResponse`+ns+`><m:ResponseMessages><m:UnsubscribeResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:UnsubscribeResponseMessage></m:ResponseMessages></m:UnsubscribeResponse>`+tail)
		case bytes.Contains(req, []byte("GetFolder")):
			// The client's first request (it learns the server version).
			io.WriteString(w, head+`<m:GetFolderResponse`+ns+`><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:Folder><t:FolderId Id="AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgEIAAAA" ChangeKey="AQAAAA=="/><t:DisplayName>Top of Information Store</t:DisplayName></t:Folder></m:Folders></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse>`+tail)
		case bytes.Contains(req, []byte("Subscribe")):
			io.WriteString(w, head+`<m:SubscribeResponse`+ns+`><m:ResponseMessages><m:SubscribeResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:SubscriptionId>`+subID+`</m:SubscriptionId></m:SubscribeResponseMessage></m:ResponseMessages></m:SubscribeResponse>`+tail)
		default:
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, head+`<s:Fault><faultcode>s:Client</faultcode><faultstring>not replayed</faultstring></s:Fault>`+tail)
		}
	})))
}

const subID = "JgBibjFwcjAzbWIyMDIubmFtcHJkMDMucHJvZC5vdXRsb29rLmNvbRAAAADwXxVesOnHS5BxUHKwAW88SHjwd1iB0Ag="

// eventsBody is every envelope of events, one after the other.
func eventsBody(envelopes, mails int) []byte {
	var b strings.Builder
	n := 0
	for range envelopes {
		b.WriteString(head + `<m:GetStreamingEventsResponse` + ns + `><m:ResponseMessages><m:GetStreamingEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Notifications><m:Notification><t:SubscriptionId>` + subID + `</t:SubscriptionId>`)
		for range mails {
			n++
			item := fmt.Sprintf("AAMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwBGAAAAAABSSWVKrmGUTJE+MVIvofglBwDZGACZQpSgSpyNkexYe2b7AAAAAAENAADZGACZQpSgSpyNkexYe2b7AAA%08dAAA=", n)
			folder := "AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgENAAAA"
			ts := time.Date(2026, 12, 3, 10, 0, n%60, 0, time.UTC).Format(time.RFC3339)
			for _, typ := range []string{"CreatedEvent", "NewMailEvent"} {
				fmt.Fprintf(&b, `<t:%s><t:TimeStamp>%s</t:TimeStamp><t:ItemId Id="%s" ChangeKey="CQAAAA=="/><t:ParentFolderId Id="%s" ChangeKey="AQAAAA=="/></t:%s>`, typ, ts, item, folder, typ)
			}
			fmt.Fprintf(&b, `<t:ModifiedEvent><t:TimeStamp>%s</t:TimeStamp><t:FolderId Id="%s" ChangeKey="AQAAAA=="/><t:ParentFolderId Id="AQMkADkzNjJjODUzLWZhMDMtNDVkMS05ZDdjLWVmMDlkYjQ1Zjc4MwAuAAADUkllSq5hlEyRPjFSL6H4JQEA2RgAmUKUoEqcjZHsWHtm+wAAAgEJAAAA" ChangeKey="AQAAAA=="/><t:UnreadCount>%d</t:UnreadCount></t:ModifiedEvent>`, ts, folder, n%500)
		}
		b.WriteString(`</m:Notification></m:Notifications></m:GetStreamingEventsResponseMessage></m:ResponseMessages></m:GetStreamingEventsResponse>` + tail)
	}
	return []byte(b.String())
}

// stream sends body in 64 KiB writes, then heartbeats until the client goes.
func stream(w http.ResponseWriter, r *http.Request, body []byte) {
	f := w.(http.Flusher)
	for len(body) > 0 {
		n := min(len(body), 64<<10)
		if _, err := w.Write(body[:n]); err != nil {
			return
		}
		body = body[n:]
	}
	f.Flush()
	hb := head + `<m:GetStreamingEventsResponse` + ns + `><m:ResponseMessages><m:GetStreamingEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:ConnectionStatus>OK</m:ConnectionStatus></m:GetStreamingEventsResponseMessage></m:ResponseMessages></m:GetStreamingEventsResponse>` + tail
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
			if _, err := io.WriteString(w, hb); err != nil {
				return
			}
			f.Flush()
		}
	}
}
