package ews

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrorCode is an EWS m:ResponseCode value. The named values below are
// errors in their own right so that callers can write
// errors.Is(err, ews.ErrSubscriptionNotFound) for any *ResponseError.
type ErrorCode string

func (c ErrorCode) Error() string { return string(c) }

// Response codes the notification, sync, folder and item operations can
// return, and the SOAP-fault codes that any call can get.
const (
	ErrAccessDenied                           ErrorCode = "ErrorAccessDenied"
	ErrConnectionFailed                       ErrorCode = "ErrorConnectionFailed"
	ErrExceededConnectionCount                ErrorCode = "ErrorExceededConnectionCount"
	ErrExceededSubscriptionCount              ErrorCode = "ErrorExceededSubscriptionCount"
	ErrExpiredSubscription                    ErrorCode = "ErrorExpiredSubscription"
	ErrFolderNotFound                         ErrorCode = "ErrorFolderNotFound"
	ErrImpersonateUserDenied                  ErrorCode = "ErrorImpersonateUserDenied"
	ErrImpersonationDenied                    ErrorCode = "ErrorImpersonationDenied"
	ErrImpersonationFailed                    ErrorCode = "ErrorImpersonationFailed"
	ErrIncorrectSchemaVersion                 ErrorCode = "ErrorIncorrectSchemaVersion"
	ErrInternalServerError                    ErrorCode = "ErrorInternalServerError"
	ErrInternalServerTransientError           ErrorCode = "ErrorInternalServerTransientError"
	ErrInvalidFolderId                        ErrorCode = "ErrorInvalidFolderId"
	ErrInvalidIdEmpty                         ErrorCode = "ErrorInvalidIdEmpty"
	ErrInvalidIdMalformed                     ErrorCode = "ErrorInvalidIdMalformed"
	ErrInvalidPullSubscriptionId              ErrorCode = "ErrorInvalidPullSubscriptionId"
	ErrInvalidPushSubscriptionUrl             ErrorCode = "ErrorInvalidPushSubscriptionUrl"
	ErrInvalidSubscription                    ErrorCode = "ErrorInvalidSubscription"
	ErrInvalidSubscriptionRequest             ErrorCode = "ErrorInvalidSubscriptionRequest"
	ErrInvalidSyncStateData                   ErrorCode = "ErrorInvalidSyncStateData"
	ErrInvalidWatermark                       ErrorCode = "ErrorInvalidWatermark"
	ErrItemNotFound                           ErrorCode = "ErrorItemNotFound"
	ErrMailboxMoveInProgress                  ErrorCode = "ErrorMailboxMoveInProgress"
	ErrMailboxStoreUnavailable                ErrorCode = "ErrorMailboxStoreUnavailable"
	ErrMissedNotificationEvents               ErrorCode = "ErrorMissedNotificationEvents"
	ErrNewEventStreamConnectionOpened         ErrorCode = "ErrorNewEventStreamConnectionOpened"
	ErrNonExistentMailbox                     ErrorCode = "ErrorNonExistentMailbox"
	ErrProxyRequestNotAllowed                 ErrorCode = "ErrorProxyRequestNotAllowed"
	ErrReadEventsFailed                       ErrorCode = "ErrorReadEventsFailed"
	ErrSchemaValidation                       ErrorCode = "ErrorSchemaValidation"
	ErrServerBusy                             ErrorCode = "ErrorServerBusy"
	ErrSubscriptionAccessDenied               ErrorCode = "ErrorSubscriptionAccessDenied"
	ErrSubscriptionDelegateAccessNotSupported ErrorCode = "ErrorSubscriptionDelegateAccessNotSupported"
	ErrSubscriptionNotFound                   ErrorCode = "ErrorSubscriptionNotFound"
	ErrSubscriptionUnsubscribed               ErrorCode = "ErrorSubscriptionUnsubscribed"
	ErrSyncFolderNotFound                     ErrorCode = "ErrorSyncFolderNotFound"
	ErrTimeoutExpired                         ErrorCode = "ErrorTimeoutExpired"
	ErrInvalidRequest                         ErrorCode = "ErrorInvalidRequest"
	ErrInvalidServerVersion                   ErrorCode = "ErrorInvalidServerVersion"
)

// ResponseError is an EWS error: a response message with
// ResponseClass="Error" or a SOAP fault carrying an EWS ResponseCode.
type ResponseError struct {
	Code    string // e.g. "ErrorSubscriptionNotFound"
	Message string // m:MessageText, or the fault's message
	// MessageXml holds the t:Value elements of m:MessageXml by Name (and
	// any other simple child by its local name).
	MessageXml map[string]string
	// BackOff is BackOffMilliseconds from MessageXml (ErrorServerBusy).
	BackOff time.Duration
	// SubscriptionIds lists the subscriptions a GetStreamingEvents error
	// is about (m:ErrorSubscriptionIds).
	SubscriptionIds []string
	// Fault is true when the error came as a SOAP fault.
	Fault bool
	// Op is the operation that failed ("GetEvents", ...), if known.
	Op string
}

func (e *ResponseError) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(strings.TrimSpace(e.Message))
	}
	if e.BackOff > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.BackOff)
	}
	return b.String()
}

// Is matches an ErrorCode, so errors.Is(err, ErrServerBusy) works.
func (e *ResponseError) Is(target error) bool {
	c, ok := target.(ErrorCode)
	return ok && string(c) == e.Code
}

// SubscriptionGone reports whether err means the subscription no longer
// exists on the server (expired, unknown, unsubscribed, or its event queue
// cannot be read), so that the only recovery is a new subscription without
// the old watermark ("Handling notification-related errors in EWS").
func SubscriptionGone(err error) bool {
	for _, c := range []ErrorCode{
		ErrSubscriptionNotFound, ErrExpiredSubscription, ErrInvalidSubscription,
		ErrSubscriptionUnsubscribed, ErrInvalidPullSubscriptionId, ErrReadEventsFailed,
		ErrMissedNotificationEvents, ErrInvalidWatermark,
	} {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

// SyncStateRefused reports whether err is the server refusing the SyncState
// a SyncFolderHierarchy or SyncFolderItems sent: ErrorInvalidSyncStateData
// ("Synchronize items or folders by using an invalid sync state value",
// Microsoft, "Handling synchronization-related errors in EWS in Exchange",
// https://learn.microsoft.com/en-us/exchange/client-developer/exchange-web-services/handling-synchronization-related-errors-in-ews-in-exchange).
// Sending the same SyncState again gets the same answer; the recovery is a
// sync without one (a full sync), whose answer replaces what the client held.
func SyncStateRefused(err error) bool {
	return errors.Is(err, ErrInvalidSyncStateData)
}

// TransportError is an HTTP-level failure: the request did not produce an
// EWS response. Its message is one sentence naming the URL.
type TransportError struct {
	URL        string
	StatusCode int // 0 when no HTTP response arrived
	Msg        string
	// RetryAfter is the server's Retry-After (HTTP 503 or 429), 0 if none.
	RetryAfter time.Duration
	Err        error
	// notEWS: the client's first answer showed the URL is not EWS (an
	// HTML page, HTTP 501).
	notEWS bool
}

func (e *TransportError) Error() string { return e.Msg }
func (e *TransportError) Unwrap() error { return e.Err }

// Fatal reports whether retrying cannot help without the user changing
// something (credentials, URL, certificates).
func (e *TransportError) Fatal() bool {
	if e.notEWS {
		return true
	}
	switch e.StatusCode {
	case 401, 403, 404:
		return true
	case 300, 301, 302, 303, 307, 308:
		return true // the URL points somewhere else: the user must change it
	}
	var ce *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var dns *net.DNSError
	if errors.As(e.Err, &ce) || errors.As(e.Err, &ua) || errors.As(e.Err, &hn) || errors.As(e.Err, &ci) {
		return true
	}
	if errors.As(e.Err, &dns) && dns.IsNotFound {
		return true
	}
	return false
}

// httpStatusError builds the sentence for an HTTP error status.
func httpStatusError(rawURL, user string, status int, statusText string) *TransportError {
	who := user
	if who == "" {
		who = "the anonymous user"
	}
	var msg string
	switch {
	case status == 401:
		msg = fmt.Sprintf("authentication failed for %s at %s: check user and password", who, rawURL)
	case status == 403:
		msg = fmt.Sprintf("access denied for %s at %s (HTTP 403): the account may not use EWS here", who, rawURL)
	case status == 404:
		msg = fmt.Sprintf("no EWS endpoint at %s (HTTP 404): check the URL, it usually ends in /EWS/Exchange.asmx", rawURL)
	case status >= 500:
		msg = fmt.Sprintf("server error at %s: HTTP %d %s", rawURL, status, statusText)
	default:
		msg = fmt.Sprintf("unexpected answer from %s: HTTP %d %s", rawURL, status, statusText)
	}
	return &TransportError{URL: rawURL, StatusCode: status, Msg: msg}
}

// transportError turns a failed round trip into one clear sentence.
func transportError(rawURL string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		var ue *url.Error
		if errors.As(err, &ue) && ue.Timeout() && !errors.Is(err, context.Canceled) {
			return &TransportError{URL: rawURL, Msg: fmt.Sprintf("no answer from %s in time: %v", rawURL, context.DeadlineExceeded), Err: err}
		}
		return err
	}
	host := rawURL
	if u, perr := url.Parse(rawURL); perr == nil {
		host = u.Hostname()
	}
	var ce *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var rh tls.RecordHeaderError
	var dns *net.DNSError
	var msg string
	switch {
	case errors.As(err, &hn):
		msg = fmt.Sprintf("TLS certificate of %s is not valid for host %s: %v", rawURL, host, hn)
	case errors.As(err, &ua), errors.As(err, &ce), errors.As(err, &ci):
		msg = fmt.Sprintf("TLS certificate of %s is not trusted (%v): give the CA file with --ca-file, or --insecure to skip verification", rawURL, rootCause(err))
	case errors.As(err, &rh):
		msg = fmt.Sprintf("TLS handshake with %s failed: the server does not speak TLS there (try http://)", rawURL)
	case errors.As(err, &dns):
		msg = fmt.Sprintf("cannot resolve host %q of %s: %s", host, rawURL, dns.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		msg = fmt.Sprintf("cannot connect to %s: connection refused (is the server running on that port?)", rawURL)
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = fmt.Sprintf("the answer from %s was cut off: the connection closed before its end", rawURL)
	case errors.Is(err, syscall.ECONNRESET):
		msg = fmt.Sprintf("connection to %s was reset by the server", rawURL)
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			msg = fmt.Sprintf("no answer from %s in time (timeout)", rawURL)
		} else {
			msg = fmt.Sprintf("request to %s failed: %v", rawURL, rootCause(err))
		}
	}
	return &TransportError{URL: rawURL, Msg: msg, Err: err}
}

// rootCause strips *url.Error's "Post "URL": " prefix, since our sentence
// names the URL already.
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// backOffFrom reads BackOffMilliseconds from a MessageXml map.
func backOffFrom(m map[string]string) time.Duration {
	if v, ok := m["BackOffMilliseconds"]; ok {
		if ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	return 0
}
