package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// Push subscriptions: the server POSTs SendNotification to the client's URL
// as events occur, and a StatusEvent when nothing happened for
// StatusFrequency. A listener that fails is retried on Microsoft's schedule
// (StatusFrequency reference: "the default retry interval is 30 seconds
// and subsequent retries are always double the time of the last retry
// interval"; its table puts retry k at 30·2^(k-1) s after the first try,
// and a retry past StatusFrequency is not sent): at 30 s, 1 min, 2 min, 4
// min … after the first failure while within StatusFrequency, then the
// subscription is dropped. A listener answering Unsubscribe ends it.

const pushFirstRetry = 30 * time.Second

// sendNotificationDoc is the request body Exchange POSTs to a push listener.
// It repeats the subscription's RequestServerVersion (modelled: Exchange
// writes notifications in the schema version the subscription was made
// with).
func sendNotificationDoc(version, notification string) []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
		`<soap:Header><t:RequestServerVersion xmlns:t="` + ews.NSTypes + `" Version="` + version + `"/></soap:Header>` +
		`<soap:Body><m:SendNotification` + nsMT + `><m:ResponseMessages>` +
		okMsg("SendNotification", notification) +
		`</m:ResponseMessages></m:SendNotification></soap:Body></soap:Envelope>`)
}

func (s *Server) runPush(sub *subscription) {
	defer s.wg.Done()
	lastSent := s.clock.Now()
	status := s.clock.After(sub.statusFreq)
	for {
		// Deliver everything pending, 50 events per notification.
		for {
			s.mu.Lock()
			if s.subs[sub.id] != sub {
				s.mu.Unlock()
				return
			}
			if sub.pos+1 < sub.mb.firstSeq {
				s.endSub(sub, "ErrorMissedNotificationEvents")
				s.mu.Unlock()
				return
			}
			evs, next, more := sub.mb.eventsAfter(sub.pos, maxEventsPerNotification, sub.wants)
			if len(evs) == 0 {
				sub.pos = next
				s.mu.Unlock()
				break
			}
			prev := sub.pos
			var b strings.Builder
			notificationXML(&b, "Notification", sub, prev, more, evs, true, 0)
			s.mu.Unlock()
			// Taken before sending: once the listener has the
			// notification, a test may move the clock.
			sentAt := s.clock.Now()
			if !s.pushDeliver(sub, sendNotificationDoc(sub.version, b.String())) {
				return
			}
			s.mu.Lock()
			if sub.pos == prev {
				sub.pos = next
			}
			s.mu.Unlock()
			lastSent = sentAt
		}
		select {
		case <-s.ctx.Done():
			return
		case <-sub.done:
			return
		case <-sub.wakeCh:
		case <-status:
			idle := s.clock.Now().Sub(lastSent)
			if idle < sub.statusFreq {
				status = s.clock.After(sub.statusFreq - idle)
				continue
			}
			s.mu.Lock()
			var b strings.Builder
			notificationXML(&b, "Notification", sub, sub.pos, false, nil, true, sub.pos)
			s.mu.Unlock()
			sentAt := s.clock.Now()
			status = s.clock.After(sub.statusFreq) // armed before the listener sees the notification
			if !s.pushDeliver(sub, sendNotificationDoc(sub.version, b.String())) {
				return
			}
			lastSent = sentAt
		}
	}
}

// pushDeliver POSTs one notification, retrying with backoff. It returns
// false when the subscription has ended (listener said Unsubscribe, failed
// for too long, or the server is closing).
func (s *Server) pushDeliver(sub *subscription, doc []byte) bool {
	// The next retry, after the first failure (PushMinute scales it).
	next := time.Duration(float64(pushFirstRetry) * float64(s.pushMinute()) / float64(time.Minute))
	var firstFail time.Time
	for {
		status, err := s.postNotification(sub.url, doc)
		if err == nil {
			if status == "Unsubscribe" {
				s.mu.Lock()
				s.endSub(sub, "")
				s.mu.Unlock()
				return false
			}
			return true
		}
		now := s.clock.Now()
		if firstFail.IsZero() {
			firstFail = now
		}
		if next > sub.statusFreq {
			s.mu.Lock()
			s.endSub(sub, "ErrorExpiredSubscription")
			s.mu.Unlock()
			return false
		}
		select {
		case <-s.ctx.Done():
			return false
		case <-sub.done:
			return false
		case <-s.clock.After(max(firstFail.Add(next).Sub(now), 0)):
		}
		next *= 2
	}
}

// postNotification sends SendNotification and returns the listener's
// SubscriptionStatus ("OK" or "Unsubscribe").
func (s *Server) postNotification(url string, doc []byte) (string, error) {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(doc))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"http://schemas.microsoft.com/exchange/services/2006/messages/SendNotification"`)
	resp, err := s.cfg.PushClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("push listener %s answered HTTP %d", url, resp.StatusCode)
	}
	root, err := parseXML(body)
	if err != nil {
		return "", fmt.Errorf("push listener %s answered with bad XML: %w", url, err)
	}
	var find func(n *xnode) string
	find = func(n *xnode) string {
		if n.Is("SubscriptionStatus") {
			return strings.TrimSpace(n.Text)
		}
		for _, k := range n.Kids {
			if v := find(k); v != "" {
				return v
			}
		}
		return ""
	}
	switch v := find(root); v {
	case "OK", "Unsubscribe":
		return v, nil
	case "":
		return "", errors.New("push listener answered without a SubscriptionStatus")
	default:
		return "", fmt.Errorf("push listener answered SubscriptionStatus %q", v)
	}
}
