// Command hostile is a deliberately misbehaving EWS server for
// scripts/hostile-rss.sh: it answers well enough for `ewsmon watch` to get
// to the hostile part, then sends one of four kinds of endless or
// oversized answers. It is a measurement tool, not part of ewsmon.
//
//	go run ./scripts/hostile -case stream -addr-file /tmp/addr
//
// It listens on 127.0.0.1 only, writes its address to -addr-file, and
// stops by itself after -lifetime.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

const (
	getFolderOK = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` +
		`<GetFolderResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"><ResponseMessages>` +
		`<GetFolderResponseMessage ResponseClass="Success"><ResponseCode>NoError</ResponseCode><Folders>` +
		`<Folder xmlns="http://schemas.microsoft.com/exchange/services/2006/types"><FolderId Id="root-id" ChangeKey="ck"/><DisplayName>Top of Information Store</DisplayName></Folder>` +
		`</Folders></GetFolderResponseMessage></ResponseMessages></GetFolderResponse></s:Body></s:Envelope>`
	subscribeOK   = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:SubscribeResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><m:ResponseMessages><m:SubscribeResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:SubscriptionId>sub-1</m:SubscriptionId></m:SubscribeResponseMessage></m:ResponseMessages></m:SubscribeResponse></s:Body></s:Envelope>`
	unsubscribeOK = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:UnsubscribeResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><m:ResponseMessages><m:UnsubscribeResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:UnsubscribeResponseMessage></m:ResponseMessages></m:UnsubscribeResponse></s:Body></s:Envelope>`
	// The opening of a streaming envelope that is never closed.
	streamOpen = `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><soap11:Header xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/"/><soap11:Body xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/">` +
		`<m:GetStreamingEventsResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages>` +
		`<m:GetStreamingEventsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Notifications>`
	// Repeated forever inside it: notifications with long ids (case
	// stream: the size limit stops it), or tiny ones (case elements: the
	// costliest input per byte for a reader that builds a tree; the
	// element bound stops it).
	smallItem   = `<m:Notification><t:SubscriptionId>s</t:SubscriptionId></m:Notification>`
	getFolderIn = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` +
		`<GetFolderResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"><ResponseMessages>` +
		`<GetFolderResponseMessage ResponseClass="Success"><ResponseCode>NoError</ResponseCode><Folders>` +
		`<Folder xmlns="http://schemas.microsoft.com/exchange/services/2006/types"><FolderId Id="root-id" ChangeKey="ck"/><DisplayName>`
)

var streamItem = `<m:Notification><t:SubscriptionId>` + strings.Repeat("x", 400) + `</t:SubscriptionId></m:Notification>`

func main() {
	which := flag.String("case", "stream", "stream, elements, text, length or gzip")
	addrFile := flag.String("addr-file", "", "write the listening address here")
	lifetime := flag.Duration("lifetime", 5*time.Minute, "stop after this long")
	flag.Parse()

	if *which == "gzip" {
		bomb = gzipBomb(2 << 10)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()), 0o600); err != nil {
			log.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *lifetime)
	defer cancel()
	srv := &http.Server{Handler: handler(*which), ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

func handler(which string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		op := strings.TrimPrefix(strings.Trim(r.Header.Get("SOAPAction"), `"`), "http://schemas.microsoft.com/exchange/services/2006/messages/")
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		switch {
		case op == "GetFolder" && which != "stream" && which != "elements":
			hostileGetFolder(w, r, which)
		case op == "GetFolder":
			_, _ = io.WriteString(w, getFolderOK)
		case op == "Subscribe":
			_, _ = io.WriteString(w, subscribeOK)
		case op == "Unsubscribe":
			_, _ = io.WriteString(w, unsubscribeOK)
		case op == "GetStreamingEvents" && which == "elements":
			endless(w, r, streamOpen, smallItem)
		case op == "GetStreamingEvents":
			endless(w, r, streamOpen, streamItem)
		default:
			http.Error(w, fmt.Sprintf("hostile server: no answer for %q (%d bytes)", op, len(body)), http.StatusBadRequest)
		}
	})
}

// endless writes head, then item forever (until the client goes away).
func endless(w http.ResponseWriter, r *http.Request, head, item string) {
	flusher, _ := w.(http.Flusher)
	_, _ = io.WriteString(w, head)
	block := []byte(strings.Repeat(item, (32<<10)/len(item)+1))
	for r.Context().Err() == nil {
		if _, err := w.Write(block); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}

func hostileGetFolder(w http.ResponseWriter, r *http.Request, which string) {
	switch which {
	case "text":
		// A text node that never ends, chunked (no length).
		endless(w, r, getFolderIn, strings.Repeat("a", 1024))
	case "length":
		// Announces a gigabyte, and keeps sending.
		w.Header().Set("Content-Length", fmt.Sprint(1<<30))
		endless(w, r, getFolderIn, strings.Repeat("a", 1024))
	case "gzip":
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", fmt.Sprint(len(bomb)))
		_, _ = w.Write(bomb)
	}
}

// bomb is the gzip case's answer, made once at start.
var bomb []byte

// gzipBomb is a GetFolder answer whose DisplayName is mib MiB of 'a',
// gzip-compressed (about a thousandth of that).
func gzipBomb(mib int) []byte {
	var z bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	_, _ = io.WriteString(gz, getFolderIn)
	block := bytes.Repeat([]byte{'a'}, 1<<20)
	for i := 0; i < mib; i++ {
		_, _ = gz.Write(block)
	}
	_ = gz.Close()
	return z.Bytes()
}
