package ui

import (
	"fmt"
	"time"
)

// timeMode is how the dashboard writes moments; t cycles it.
type timeMode int

const (
	timeLocal timeMode = iota // the configured zone (Options.Location, default local)
	timeUTC
	timeAgo // "3s ago", "4m ago"
)

// times writes every moment the dashboard shows, in one zone (or as an
// age), so the list, the detail and the status agree.
type times struct {
	mode timeMode
	loc  *time.Location
	now  func() time.Time
}

func (t *times) next() { t.mode = (t.mode + 1) % 3 }

func (t *times) zone() *time.Location {
	if t.mode == timeUTC {
		return time.UTC
	}
	return t.loc
}

// short is the list's time column: "15:04:05", or "3s ago".
func (t *times) short(at time.Time) string {
	if at.IsZero() {
		return ""
	}
	if t.mode == timeAgo {
		return ago(t.now().Sub(at))
	}
	return at.In(t.zone()).Format("15:04:05")
}

// long is a moment in full for the detail view; as an age it keeps the
// moment too.
func (t *times) long(at time.Time) string {
	if at.IsZero() {
		return ""
	}
	s := at.In(t.zone()).Format("2006-01-02 15:04:05.000")
	if t.mode == timeAgo {
		s += " (" + ago(t.now().Sub(at)) + ")"
	}
	return s
}

// describe says how times are written, for the status pane: the zone once.
func (t *times) describe() string {
	name, off := t.now().In(t.zone()).Zone()
	z := fmt.Sprintf("UTC%+03d:%02d", off/3600, abs(off%3600)/60)
	if off == 0 {
		z = "UTC"
	}
	if name != "" && name != "UTC" && name[0] != '+' && name[0] != '-' {
		z = name + ", " + z
	}
	switch t.mode {
	case timeUTC:
		return "UTC"
	case timeAgo:
		return "ago (detail: " + z + ")"
	}
	return "local (" + z + ")"
}

func abs(n int) int { return max(n, -n) }

// ago is a short age: "3s ago", "4m ago", "2h ago", "3d ago".
func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}
