package ui

import (
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Frame pacing. Bubble Tea calls View after every Update, and the renderer
// only flushes the newest view once a frame (tea.WithFPS): at 1,000 events
// a second most views were drawn and thrown away (docs/performance.md).
// With Options.FrameInterval set, View draws at most once per interval and
// otherwise returns the frame it drew last; an Update that changes
// something inside the interval schedules a frameMsg at its end, so the
// last change is drawn at most one interval late, and a change after a
// quiet spell (a key press) is drawn at once.

// frameMsg asks for the pending frame to be drawn.
type frameMsg struct{}

// pacer is the root model's frame state and its counters.
type pacer struct {
	every   time.Duration // 0: draw on every View
	view    tea.View      // the last frame drawn
	drawn   bool          // view holds a frame
	dirty   bool          // something changed since it was drawn
	due     bool          // a frameMsg arrived: draw at the next View
	pending bool          // a frameMsg is on its way
	last    time.Time     // when the last frame was drawn

	// oldest is when the oldest update not yet drawn arrived (zero: none);
	// lat are the delays from arrival to frame, a ring of the latest.
	oldest time.Time
	lat    []time.Duration
	latN   int

	stats FrameStats
}

// FrameStats count what the dashboard drew, for scripts/perf.sh.
type FrameStats struct {
	Updates int // messages handled
	Views   int // View calls
	Frames  int // frames drawn (render ran)
	// ArrivalToFrame: quantiles of the delay from a runner update's
	// arrival to the frame that shows it (over the latest 4096).
	P50, P99, Max time.Duration
}

const latSamples = 4096

// changed notes that an Update may have changed the screen; it returns
// the frameMsg to schedule, if one is needed.
func (p *pacer) changed(now time.Time) tea.Cmd {
	p.dirty = true
	if p.every <= 0 || p.pending || now.Sub(p.last) >= p.every {
		return nil // drawn by the View that follows, or already scheduled
	}
	p.pending = true
	return tea.Tick(p.every-now.Sub(p.last), func(time.Time) tea.Msg { return frameMsg{} })
}

// arrived notes a runner update that came at (its own time, or now).
func (p *pacer) arrived(at time.Time) {
	if p.oldest.IsZero() || at.Before(p.oldest) {
		p.oldest = at
	}
}

// draw says whether View must draw now.
func (p *pacer) draw(now time.Time) bool {
	if !p.drawn || p.every <= 0 {
		return true
	}
	return p.dirty && (p.due || now.Sub(p.last) >= p.every)
}

// drew records a frame drawn at now.
func (p *pacer) drew(v tea.View, now time.Time) {
	p.view, p.drawn, p.dirty, p.due, p.last = v, true, false, false, now
	p.stats.Frames++
	if !p.oldest.IsZero() {
		d := max(now.Sub(p.oldest), 0)
		if len(p.lat) < latSamples {
			p.lat = append(p.lat, d)
		} else {
			p.lat[p.latN%latSamples] = d
		}
		p.latN++
		p.oldest = time.Time{}
	}
}

// Stats are the counters and the arrival-to-frame quantiles so far.
func (p *pacer) Stats() FrameStats {
	s := p.stats
	if len(p.lat) > 0 {
		l := slices.Clone(p.lat)
		slices.Sort(l)
		s.P50, s.P99, s.Max = l[len(l)/2], l[len(l)*99/100], l[len(l)-1]
	}
	return s
}
