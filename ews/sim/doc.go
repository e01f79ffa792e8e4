// Package sim is an embedded Exchange server for ewsmon: a real EWS endpoint
// over real HTTP (POST /EWS/Exchange.asmx) with one or more demo mailboxes, an
// event journal fed by mailbox actions that fire the same event cascades as
// Exchange (docs/cascades.md), pull / streaming / push subscriptions with
// Exchange's limits and errors, an activity generator, a JSON control API
// (POST /sim/actions) and fault knobs for reliability tests.
//
// It is not a mail server: there is no SMTP, there are no item bodies and no
// search, and only the operations a notification client uses are
// implemented: Subscribe, GetEvents, GetStreamingEvents, Unsubscribe,
// SyncFolderHierarchy, GetFolder, FindFolder and GetItem. Other EWS
// operations get a well-formed m:{Op}Response with ErrorInvalidOperation
// (ResolveNames: ErrorNameResolutionNoResults); unknown operations a SOAP
// fault ErrorInvalidRequest; requests that are not well-formed SOAP a SOAP
// fault ErrorSchemaValidation.
//
// # Wire format
//
// Responses are s:Envelope documents with an h:ServerVersionInfo header
// (15.2, V2017_07_11). A GetStreamingEvents response is one chunked HTTP
// response: a ConnectionStatus OK envelope at once, one envelope per
// notification batch, OK heartbeats every Config.HeartbeatInterval of
// silence, and ConnectionStatus Closed at ConnectionTimeout. Each is an
// unprefixed <Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/">
// written and flushed as its own chunk, with Notification (and SubscriptionId
// under ErrorSubscriptionIds) in the messages namespace, as real servers
// send them. Push notifications are POSTed as m:SendNotification.
//
// # Subscriptions
//
//   - pull: GetEvents returns at most 50 events after the watermark the
//     client sends, each with a watermark, and MoreEvents; a StatusEvent
//     when nothing is new. The client's watermark is the bookmark
//     (Microsoft's GetEvents reference: it "describes where the GetEvents
//     operation begins to return events"), so an answer lost in transit is
//     had again by sending the same watermark. Subscribe with a Watermark
//     replays the journal after it. Watermarks belong to one event history
//     (a GUID in each, as in Exchange's); one of another history, or one
//     the bounded journal no longer holds, is ErrorInvalidWatermark
//     (Subscribe) or ErrorMissedNotificationEvents (GetEvents, trimmed).
//     Not polled within Timeout: ErrorExpiredSubscription.
//   - streaming: events count as delivered once their envelope is written;
//     they are queued while no connection is open; with no
//     connection for Config.StreamingExpiry the subscription expires. One
//     connection carries up to 200 ids; opening a second connection for a
//     subscription ends it on the first with
//     ErrorNewEventStreamConnectionOpened (the first connection ends when it
//     has none left).
//   - push: SendNotification as events occur, a StatusEvent after
//     StatusFrequency without one; a failing listener is retried with
//     doubling backoff from 30 s until it has failed for StatusFrequency,
//     then the subscription is dropped; a listener answering Unsubscribe ends
//     it.
//
// Other errors: ErrorSubscriptionNotFound (unknown or unsubscribed id),
// ErrorInvalidSubscription (malformed id, or the wrong kind for the
// operation), ErrorSubscriptionAccessDenied (another user's subscription),
// ErrorSubscriptionDelegateAccessNotSupported (another mailbox without
// impersonation), ErrorExceededSubscriptionCount and
// ErrorExceededConnectionCount (Config.MaxSubscriptions, MaxConnections),
// ErrorMissedNotificationEvents (the journal dropped events a pull
// subscription had not read), ErrorServerBusy (Faults.ServerBusy) as a SOAP
// fault with BackOffMilliseconds.
//
// The mailbox a request acts on is the impersonated one
// (t:ExchangeImpersonation), else the authenticated user's, else the one in
// X-AnchorMailbox, else the first. Subscribe answers set an
// X-BackEndOverrideCookie. Authentication is none, Basic, or NTLM (NTLMv2
// verified against the configured password); /sim/actions needs none.
//
// Everything that waits (heartbeats, timeouts, expiry, push retries, the
// activity generator, Faults.Delay) uses Config.Clock, so tests
// fast-forward with ews.FakeClock.
package sim
