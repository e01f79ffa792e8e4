// Package sim is an embedded Exchange server for ewsmon: a real EWS endpoint
// over real HTTP (POST /EWS/Exchange.asmx) with one or more demo mailboxes, an
// event journal fed by mailbox actions that fire the same event cascades as
// Exchange, pull / streaming / push subscriptions with Exchange's limits and
// errors, an activity generator, a JSON control API (POST /sim/actions) and
// fault knobs for reliability tests.
//
// It speaks the wire format of a real server (see ../../../shared/DESIGN.md):
// s:Envelope responses with an h:ServerVersionInfo header, streaming responses
// as one chunked HTTP response of unprefixed SOAP envelopes with Notification
// in the messages namespace, SOAP faults for ErrorServerBusy and schema
// errors. Everything that waits uses an ews.Clock, so tests fast-forward.
//
// It is not a mail server: there is no SMTP, no item bodies, no search, and
// only the operations that a notification client uses are implemented;
// others answer with a well-formed EWS error.
package sim
