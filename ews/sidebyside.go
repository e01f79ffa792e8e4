package ews

import (
	"context"
	"sync"
)

// SideBySide is one of several runners watching the same mailbox at once
// (ewsmon --compare: streaming, pull and push side by side). Each has its
// own Client, so that each transport's requests and bytes are its own.
type SideBySide struct {
	Name   string
	Client *Client
	Config WatchConfig
}

// TransportUpdate is an Update of runner Transport (an index into the
// runners given to WatchSideBySide).
type TransportUpdate struct {
	Transport int
	Update
}

// WatchSideBySide starts every runner and merges their updates into one
// channel, each tagged with its runner. The channel closes once every
// runner has ended (cancel ctx: each unsubscribes, as Watch does).
func WatchSideBySide(ctx context.Context, runs []SideBySide) <-chan TransportUpdate {
	out := make(chan TransportUpdate, 16)
	var wg sync.WaitGroup
	for i, r := range runs {
		ups := r.Client.Watch(ctx, r.Config)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range ups {
				// Never drop an update: the runner's last ones
				// (Unsubscribed) matter; the runner itself stops on
				// ctx, which ends ups.
				out <- TransportUpdate{Transport: i, Update: u}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}
