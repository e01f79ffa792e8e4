package ews

import (
	"context"
	"errors"
	"fmt"
)

// SubscribeResult is the answer of Subscribe.
type SubscribeResult struct {
	SubscriptionId string
	// Watermark is set for pull and push subscriptions.
	Watermark string
}

// Subscribe creates a subscription.
func (c *Client) Subscribe(ctx context.Context, r SubscribeRequest) (*SubscribeResult, error) {
	env, _, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	return parseSubscribe(env)
}

func parseSubscribe(env *envelope) (*SubscribeResult, error) {
	m, err := singleMessage("Subscribe", env)
	if err != nil {
		return nil, err
	}
	res := &SubscribeResult{SubscriptionId: m.ChildText("SubscriptionId"), Watermark: m.ChildText("Watermark")}
	if res.SubscriptionId == "" {
		return nil, errors.New("Subscribe: the response has no SubscriptionId")
	}
	return res, nil
}

// GetEvents polls a pull subscription. The events of the returned
// notification each carry a Watermark; the last one is the next call's
// watermark. MoreEvents says more are waiting.
func (c *Client) GetEvents(ctx context.Context, subscriptionId, watermark string) (*Notification, error) {
	env, raw, err := c.do(ctx, GetEventsRequest{SubscriptionId: subscriptionId, Watermark: watermark})
	if err != nil {
		return nil, err
	}
	n, err := parseGetEvents(env)
	if err != nil {
		return nil, err
	}
	for i := range n.Events {
		n.Events[i].RawXML = raw
	}
	return n, nil
}

func parseGetEvents(env *envelope) (*Notification, error) {
	m, err := singleMessage("GetEvents", env)
	if err != nil {
		return nil, err
	}
	nn := m.Child("Notification")
	if nn == nil {
		return nil, errors.New("GetEvents: the response has no Notification")
	}
	n := parseNotification(nn)
	return &n, nil
}

// Unsubscribe ends a pull or streaming subscription.
func (c *Client) Unsubscribe(ctx context.Context, subscriptionId string) error {
	env, _, err := c.do(ctx, UnsubscribeRequest{SubscriptionId: subscriptionId})
	if err != nil {
		return err
	}
	_, err = singleMessage("Unsubscribe", env)
	return err
}

// SyncFolderHierarchy returns the folder changes of the whole mailbox since
// syncState ("" for the first call: every folder is a Create).
func (c *Client) SyncFolderHierarchy(ctx context.Context, syncState string) (*SyncFolderHierarchyResult, error) {
	return c.SyncFolderHierarchyRequest(ctx, SyncFolderHierarchyRequest{SyncState: syncState})
}

// SyncFolderHierarchyRequest is SyncFolderHierarchy with every option.
func (c *Client) SyncFolderHierarchyRequest(ctx context.Context, r SyncFolderHierarchyRequest) (*SyncFolderHierarchyResult, error) {
	env, _, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	return parseSyncFolderHierarchy(env)
}

func parseSyncFolderHierarchy(env *envelope) (*SyncFolderHierarchyResult, error) {
	m, err := singleMessage("SyncFolderHierarchy", env)
	if err != nil {
		return nil, err
	}
	res := &SyncFolderHierarchyResult{
		SyncState:                 m.ChildText("SyncState"),
		IncludesLastFolderInRange: parseBool(m.ChildText("IncludesLastFolderInRange")),
	}
	eachFolderChange(m, func(ch FolderChange, _ *node) { res.Changes = append(res.Changes, ch) })
	return res, nil
}

// GetFolder reads folders by distinguished name or id, in the order asked.
// When some folders fail and others do not, the ones read are returned
// together with the error.
func (c *Client) GetFolder(ctx context.Context, refs ...FolderRef) ([]Folder, error) {
	env, _, err := c.do(ctx, GetFolderRequest{Folders: refs})
	if err != nil {
		return nil, err
	}
	return parseGetFolder(env)
}

// FindFolder lists the folders directly under parent (at most 100).
func (c *Client) FindFolder(ctx context.Context, parent FolderRef) ([]Folder, error) {
	env, _, err := c.do(ctx, FindFolderRequest{Parent: parent})
	if err != nil {
		return nil, err
	}
	ms, err := responseMessages("FindFolder", env)
	if err != nil {
		return nil, err
	}
	var out []Folder
	for _, m := range ms {
		if e := messageError("FindFolder", m); e != nil {
			return out, e
		}
		for _, f := range m.Child("RootFolder").Child("Folders").Elements() {
			if isEWS(f.Space) {
				out = append(out, parseFolder(f))
			}
		}
	}
	return out, nil
}

// GetFolderEach reads folders like GetFolder but answers per folder asked:
// folders[i] is refs[i]'s folder when errs[i] is nil. err is for the
// request as a whole.
func (c *Client) GetFolderEach(ctx context.Context, refs ...FolderRef) (folders []Folder, errs []error, err error) {
	env, _, err := c.do(ctx, GetFolderRequest{Folders: refs})
	if err != nil {
		return nil, nil, err
	}
	ms, err := responseMessages("GetFolder", env)
	if err != nil {
		return nil, nil, err
	}
	if len(ms) != len(refs) {
		return nil, nil, fmt.Errorf("GetFolder: %d answers for %d folders", len(ms), len(refs))
	}
	folders, errs = make([]Folder, len(refs)), make([]error, len(refs))
	for i, m := range ms {
		if e := messageError("GetFolder", m); e != nil {
			errs[i] = e
			continue
		}
		errs[i] = fmt.Errorf("GetFolder: no folder in the answer for %s", refs[i])
		for _, f := range m.Child("Folders").Elements() {
			if isEWS(f.Space) {
				folders[i], errs[i] = parseFolder(f), nil
				break
			}
		}
	}
	return folders, errs, nil
}

func parseGetFolder(env *envelope) ([]Folder, error) {
	ms, err := responseMessages("GetFolder", env)
	if err != nil {
		return nil, err
	}
	var out []Folder
	var errs []error
	for _, m := range ms {
		if e := messageError("GetFolder", m); e != nil {
			errs = append(errs, e)
			continue
		}
		for _, f := range m.Child("Folders").Elements() {
			if isEWS(f.Space) {
				out = append(out, parseFolder(f))
			}
		}
	}
	return out, errors.Join(errs...)
}

// GetItem reads the Item fields of items named by events. Items that fail
// (typically ErrorItemNotFound for an item deleted since) are left out and
// reported in the error; the others are still returned.
func (c *Client) GetItem(ctx context.Context, ids ...ItemId) ([]Item, error) {
	env, _, err := c.do(ctx, GetItemRequest{ItemIds: ids})
	if err != nil {
		return nil, err
	}
	return parseGetItem(env)
}

func parseGetItem(env *envelope) ([]Item, error) {
	ms, err := responseMessages("GetItem", env)
	if err != nil {
		return nil, err
	}
	var out []Item
	var errs []error
	for _, m := range ms {
		if e := messageError("GetItem", m); e != nil {
			errs = append(errs, e)
			continue
		}
		for _, it := range m.Child("Items").Elements() {
			if isEWS(it.Space) {
				out = append(out, parseItem(it))
			}
		}
	}
	return out, errors.Join(errs...)
}
