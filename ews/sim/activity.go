package sim

import (
	"errors"
	"math"
	"time"
)

// The activity generator performs a realistic mix of actions at a rate
// (actions per second, exponential inter-arrival times). With Config.Seed the
// sequence of actions, the items and folders they pick and their subjects
// repeat run to run (timing follows the clock).

// maxGeneratedItems bounds the items of one mailbox under the generator.
const maxGeneratedItems = 3000

// actionWeights is the mix: mostly mail arriving and being read.
var actionWeights = []struct {
	action string
	weight int
}{
	{"new-mail", 30}, {"mark-read", 20}, {"mark-unread", 4}, {"move-item", 9}, {"copy-item", 3},
	{"soft-delete", 9}, {"hard-delete", 3}, {"create-folder", 3}, {"rename-folder", 2},
	{"move-folder", 2}, {"delete-folder", 2}, {"meeting-request", 6}, {"send-mail", 7},
	{"flag-item", 2}, {"dumpster-delete", 2}, {"empty-deleted-items", 1}, {"folder-to-deleted-items", 1},
	{"update-appointment", 2}, {"accept-meeting", 2}, {"decline-meeting", 1}, {"save-draft", 2},
}

// MaxRate is the fastest the activity generator runs, in actions per
// second; faster rates (+Inf included) are slowed to it, so the generator
// always sleeps between actions.
const MaxRate = 1000.0

// SetActivity sets the generator's rate in actions per second; 0 stops it.
// Negative rates count as 0, rates above MaxRate as MaxRate.
func (s *Server) SetActivity(rate float64) {
	if rate < 0 || math.IsNaN(rate) {
		rate = 0
	}
	rate = min(rate, MaxRate)
	s.mu.Lock()
	s.rate = rate
	start := rate > 0 && !s.genOn && !s.closing
	if start {
		s.genOn = true
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if start {
		go s.generate()
	}
	select {
	case s.rateWake <- struct{}{}:
	default:
	}
}

// Activity is the generator's current rate.
func (s *Server) Activity() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rate
}

func (s *Server) generate() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		rate := s.rate
		var wait time.Duration
		if rate > 0 {
			wait = time.Duration(s.rng.ExpFloat64() / rate * float64(time.Second))
			if wait < time.Millisecond {
				wait = time.Millisecond
			}
		} else {
			s.genOn = false
		}
		s.mu.Unlock()
		if rate == 0 {
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-s.rateWake:
			continue // rate changed: draw a new wait
		case <-s.clock.After(wait):
		}
		s.mu.Lock()
		if s.rate > 0 {
			s.randomAction()
		}
		s.mu.Unlock()
	}
}

// randomAction performs one weighted random action in a random mailbox,
// falling back to new mail when the pick has nothing to act on. Caller holds
// s.mu.
func (s *Server) randomAction() {
	total := 0
	for _, w := range actionWeights {
		total += w.weight
	}
	n := s.rng.IntN(total)
	name := actionWeights[0].action
	for _, w := range actionWeights {
		if n < w.weight {
			name = w.action
			break
		}
		n -= w.weight
	}
	mb := s.mailboxes[s.rng.IntN(len(s.mailboxes))]
	if name == "create-folder" && len(s.allFolders(mb)) > 60 {
		name = "delete-folder"
	}
	if name == "new-mail" && len(mb.dist["inbox"].items) > 500 {
		name = "soft-delete"
	}
	if name == "soft-delete" && len(mb.dist["deleteditems"].items) > 200 {
		name = "hard-delete"
	}
	if name == "dumpster-delete" && len(mb.dist["recoverableitemsdeletions"].items) > 200 {
		name = "hard-delete"
	}
	// Keep a long run's mailbox bounded: past maxGeneratedItems, anything
	// that adds an item becomes a hard delete in the fullest folder.
	folder := ""
	if name == "new-mail" || name == "copy-item" || name == "meeting-request" || name == "send-mail" || name == "save-draft" {
		total, fullest := 0, mb.dist["inbox"]
		for _, f := range s.allFolders(mb) {
			total += len(f.items)
			if !f.hidden && len(f.items) > len(fullest.items) {
				fullest = f
			}
		}
		if total > maxGeneratedItems {
			name, folder = "hard-delete", fullest.id
		}
	}
	_, err := s.act(ActionRequest{Action: name, Mailbox: mb.smtp, Folder: folder})
	if errors.Is(err, errNoTarget) {
		_, _ = s.act(ActionRequest{Action: "new-mail", Mailbox: mb.smtp})
	}
}
