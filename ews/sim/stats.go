package sim

// Stats is a snapshot of the simulator's load, for logs and status lines.
type Stats struct {
	Pull, Push, Streaming int    // live subscriptions by kind
	OpenStreams           int    // open GetStreamingEvents connections
	Events                uint64 // events journaled since start, all mailboxes
}

// Stats returns the current counts.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{OpenStreams: s.conns}
	for _, sub := range s.subs {
		switch sub.kind {
		case kindPull:
			st.Pull++
		case kindPush:
			st.Push++
		case kindStreaming:
			st.Streaming++
		}
	}
	for _, mb := range s.mailboxes {
		st.Events += mb.head()
	}
	return st
}
