// Package ews is the client half of Exchange Web Services notifications: SOAP
// envelopes, the Subscribe / GetEvents / GetStreamingEvents / Unsubscribe /
// SyncFolderHierarchy / GetFolder / GetItem operations, authentication (Basic,
// NTLM, OAuth bearer), the streaming reader, typed EWS errors, and the
// subscription runners that turn a live subscription into a channel of
// Updates. Decode reads saved EWS XML into the same records.
//
// It knows nothing of the dashboard (model, ui). Names follow the EWS element
// names so that the code can be read next to Microsoft's reference pages.
//
// Initialisms, one rule for ews and ews/sim: an identifier that mirrors an
// EWS XML element, attribute or enumeration value keeps EWS's spelling
// (ItemId, ParentFolderId, SubscriptionIds, MessageXml, FieldURI, EwsId),
// including the element's part of a longer name (itemIdXML, parseMessageXml);
// every other identifier uses Go's initialisms (RawXML, URL, HTTPTimeout,
// Gap.ID, streamIDs).
// Push: ListenPush is the listener Exchange POSTs SendNotification to, and
// Watch with ModePush runs a push subscription on it.
// It is not a general EWS library: no Autodiscover, no item or folder
// changes.
// docs/ews-client.md describes the API.
package ews
