package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
	"github.com/ewsmon/ewsmon/internal/faultproxy"
)

// The reliability test: `ewsmon watch --json` (runWatch, in process) against
// the simulator over loopback HTTP through a fault-injecting TCP proxy, a
// steady stream of actions, and faults of every kind one after another:
// each /sim/faults kind plus dropped, stalled and slow connections. Then
// every event the simulator produced is looked for in watch's output.
//
//   - pull: nothing is duplicated, and nothing is lost except where the
//     server itself lost its event history (lose-history): such events lie
//     inside a Gap line;
//   - streaming: every event not delivered lies inside a Gap line, and its
//     item or folder is among that gap's Reconciled lines.
//
// EWSMON_SOAK_FAULTS sets the faults per mode (default 80); scripts/soak.sh
// runs it long and prints the figures that docs/reliability.md records.

// faultKinds are what the driver injects, in rotation.
// slowCover: recoveries slower than this are logged with the lines before.
var slowCover = 2 * time.Second

var faultKinds = []string{
	"expire", "restart", "lose-history", "server-busy", "cut-stream", "corrupt-next", "delay",
	"proxy-drop", "proxy-stall", "proxy-slow",
}

func TestReliability(t *testing.T) {
	if v := os.Getenv("EWSMON_SLOW_COVER"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			slowCover = d
		}
	}
	n := 80
	if v := os.Getenv("EWSMON_SOAK_FAULTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			t.Fatalf("EWSMON_SOAK_FAULTS=%q: a positive number", v)
		}
	} else if testing.Short() {
		n = 20
	}
	for _, mode := range []string{"pull", "streaming"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			rep := runReliability(t, mode, n)
			t.Log(rep.String())
			if os.Getenv("EWSMON_SOAK_FAULTS") != "" {
				fmt.Println(rep.String())
			}
		})
	}
}

// produced is one event the simulator journaled, with when (wall clock)
// the action ran.
type produced struct {
	ev         ews.Event
	before, at time.Time
}

// watchOut collects watch's output lines as they come.
type watchOut struct {
	mu       sync.Mutex
	events   map[string]int // by watermark (pull), by eventKey (streaming: no watermarks)
	arrived  []string       // streaming: the event lines' keys, in the order they came
	lineOf   []int          // streaming: each arrived key's index in all
	all      []string       // every line, with its arrival time (for explaining a failure)
	gaps     []ews.Record
	recs     map[uint64][]ews.Record // Reconciled lines by gap
	sums     map[uint64]ews.Record
	state    string
	lastLine time.Time
	other    []string // lines that are not JSON: there must be none
	tail     []string // the latest non-event lines, with arrival times
}

func (w *watchOut) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec ews.Record
		err := json.Unmarshal(sc.Bytes(), &rec)
		w.mu.Lock()
		w.lastLine = time.Now()
		w.all = append(w.all, w.lastLine.Format("15:04:05.000")+" "+sc.Text())
		if err == nil && !strings.HasSuffix(rec.Type, "Event") && rec.Type != "Reconciled" {
			w.tail = append(w.tail, w.lastLine.Format("15:04:05.000")+" "+sc.Text())
			if len(w.tail) > 12 {
				w.tail = w.tail[1:]
			}
		}
		switch {
		case err != nil:
			w.other = append(w.other, sc.Text())
		case rec.Type == "State":
			w.state = rec.State
		case rec.Type == "Gap":
			w.gaps = append(w.gaps, rec)
		case rec.Type == "Reconciled":
			w.recs[rec.Gap] = append(w.recs[rec.Gap], rec)
		case rec.Type == "ReconcileSummary":
			w.sums[rec.Gap] = rec
		case rec.Watermark != "":
			w.events[rec.Watermark]++
		case strings.HasSuffix(rec.Type, "Event"):
			w.events[recordKey(rec)]++
			w.arrived = append(w.arrived, recordKey(rec))
			w.lineOf = append(w.lineOf, len(w.all)-1)
		}
		w.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, r)
}

// settled: subscribed, and every gap reported has its reconciliation.
func (w *watchOut) settled() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != "open" {
		return false
	}
	for _, g := range w.gaps {
		if _, ok := w.sums[g.Gap]; !ok {
			return false
		}
	}
	return true
}

type reliabilityReport struct {
	mode                                             string
	faults                                           map[string]int
	produced, delivered, duplicated, lost, inGaps    int
	reconciled, reconciledItem, gaps, incompleteGaps int
	superseded, incompleteLost                       int
	hiddenTwin                                       int // AllItems repeating a deletion that arrived
	longest                                          time.Duration
	reasons                                          map[string]int
	elapsed                                          time.Duration
}

func (r reliabilityReport) String() string {
	kinds := make([]string, 0, len(r.faults))
	total := 0
	for k, n := range r.faults {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		total += n
	}
	sort.Strings(kinds)
	var rs []string
	for k, n := range r.reasons {
		rs = append(rs, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(rs)
	reasons := strings.Join(rs, ", ")
	return fmt.Sprintf("%s: %d faults (%s) in %v; events produced %d, delivered %d, duplicated %d, lost %d (inside gaps %d, of them item or folder reconciled %d, the item itself %d, created and gone within the gap %d, in an incomplete reconciliation %d, a hidden folder repeating a deletion that arrived %d); gaps %d (longest %v; %s; reconciliation incomplete %d)",
		r.mode, total, strings.Join(kinds, ", "), r.elapsed.Round(time.Second), r.produced, r.delivered, r.duplicated, r.lost, r.inGaps, r.reconciled, r.reconciledItem, r.superseded, r.incompleteLost, r.hiddenTwin, r.gaps, r.longest.Round(time.Millisecond), reasons, r.incompleteGaps)
}

func runReliability(t *testing.T, mode string, nFaults int) reliabilityReport {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(nFaults)*3*time.Second+time.Minute)
	defer cancel()
	srv, err := sim.Start(ctx, sim.Config{HeartbeatInterval: 500 * time.Millisecond}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	base := strings.TrimSuffix(srv.URL(), "/EWS/Exchange.asmx")
	hostPort := strings.TrimPrefix(base, "http://")
	px, err := faultproxy.Start(ctx, hostPort)
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()

	out := &watchOut{events: map[string]int{}, recs: map[uint64][]ews.Record{}, sums: map[uint64]ews.Record{}}
	pr, pw := io.Pipe()
	readDone := make(chan struct{})
	go func() { out.read(pr); close(readDone) }()
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var stderr cmdBuffer
	watchDone := make(chan int, 1)
	go func() {
		code := runWatch(watchCtx, []string{"--url", "http://" + px.Addr() + "/EWS/Exchange.asmx", "--auth", "none", "--mode", mode, "--poll", "200ms"}, pw, &stderr)
		pw.Close()
		watchDone <- code
	}()
	waitFor(t, ctx, "the subscription", out.settled)

	// A steady stream of actions, mostly on items.
	var (
		pmu  sync.Mutex
		prod []produced
	)
	actCtx, stopActs := context.WithCancel(ctx)
	actsDone := make(chan struct{})
	weights := []string{"new-mail", "new-mail", "new-mail", "mark-read", "mark-read", "mark-unread", "move-item", "copy-item",
		"soft-delete", "hard-delete", "meeting-request", "send-mail", "create-folder", "rename-folder", "move-folder", "delete-folder"}
	go func() {
		defer close(actsDone)
		rng := rand.New(rand.NewPCG(1, uint64(len(mode))))
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-actCtx.Done():
				return
			case <-tick.C:
			}
			before := time.Now()
			res, err := srv.Act(actCtx, sim.ActionRequest{Action: weights[rng.IntN(len(weights))]})
			if err != nil {
				continue // nothing to act on
			}
			at := time.Now()
			pmu.Lock()
			for _, ev := range res.Events {
				prod = append(prod, produced{ev: ev, before: before, at: at})
			}
			pmu.Unlock()
		}
	}()

	// Faults, one after the other; after each the client must be covered
	// again (subscribed, gaps reconciled) before the next.
	rep := reliabilityReport{mode: mode, faults: map[string]int{}, reasons: map[string]int{}}
	rng := rand.New(rand.NewPCG(7, 7))
	fault := func(body string) {
		resp, err := http.Post(base+"/sim/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("POST /sim/faults %s: %v", body, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != `{"ok":true}` {
			t.Fatalf("POST /sim/faults %s: %d %s", body, resp.StatusCode, b)
		}
	}
	// The first baseline must be older than the reconciler's margin
	// (a second) before the first fault, or that gap is compared with a
	// baseline that may hold its in-flight changes (and says so).
	time.Sleep(1500 * time.Millisecond)
	var order []int
	var faultLog []string
	for i := range nFaults {
		// Every kind once per round, in a new order each round.
		if i%len(faultKinds) == 0 {
			order = rng.Perm(len(faultKinds))
		}
		kind := faultKinds[order[i%len(faultKinds)]]
		rep.faults[kind]++
		faultLog = append(faultLog, time.Now().Format("15:04:05.000")+" "+kind)
		switch kind {
		case "server-busy":
			fault(`{"fault":"server-busy","count":2,"back_off_ms":100}`)
		case "delay":
			fault(`{"fault":"delay","ms":300}`)
			time.Sleep(600 * time.Millisecond)
			fault(`{"fault":"delay","ms":0}`)
		case "proxy-drop":
			px.Drop()
		case "proxy-stall":
			// Longer than the dead-stream bound (twice the 500 ms
			// heartbeat, at least 1 s); a pull request waits it out.
			px.Stall(1200 * time.Millisecond)
			time.Sleep(1200 * time.Millisecond)
		case "proxy-slow":
			px.Slow(600*time.Millisecond, time.Millisecond)
			time.Sleep(600 * time.Millisecond)
		default:
			fault(`{"fault":"` + kind + `"}`)
		}
		time.Sleep(150 * time.Millisecond)
		t0 := time.Now()
		waitFor(t, ctx, "coverage after "+kind, out.settled)
		if d := time.Since(t0); d > slowCover {
			out.mu.Lock()
			t.Logf("fault %d %s at %s: covered again after %v:\n%s", i, kind, t0.Format("15:04:05.000"), d.Round(100*time.Millisecond), strings.Join(out.tail, "\n"))
			out.mu.Unlock()
		}
		// Let a heartbeat or a poll confirm the new baseline.
		time.Sleep(350 * time.Millisecond)
	}
	stopActs()
	<-actsDone
	// Quiet: wait until the client has caught up (nothing new for 3 s).
	waitFor(t, ctx, "the client to catch up", func() bool {
		out.mu.Lock()
		defer out.mu.Unlock()
		return time.Since(out.lastLine) > 3*time.Second
	})
	waitFor(t, ctx, "the last reconciliation", out.settled)
	stopWatch()
	if code := <-watchDone; code != 0 {
		t.Errorf("watch exited %d: %s", code, stderr.String())
	}
	<-readDone
	rep.elapsed = time.Since(start)

	out.mu.Lock()
	defer out.mu.Unlock()
	if len(out.other) > 0 {
		t.Errorf("lines that are not JSON: %q", out.other[:min(3, len(out.other))])
	}
	type span struct {
		from, to time.Time
		id       uint64
	}
	var spans []span
	for _, g := range out.gaps {
		from, err1 := time.Parse(time.RFC3339Nano, g.From)
		to, err2 := time.Parse(time.RFC3339Nano, g.To)
		if err1 != nil || err2 != nil || to.Before(from) || g.Reason == "" {
			t.Errorf("bad gap line %+v", g)
			continue
		}
		// Tight: a gap spans a fault's outage, never the session.
		if to.Sub(from) > 20*time.Second {
			t.Errorf("gap %d spans %v", g.Gap, to.Sub(from))
		}
		spans = append(spans, span{from, to, g.Gap})
		rep.longest = max(rep.longest, to.Sub(from))
		rep.reasons[strings.SplitN(g.Reason, " (", 2)[0]]++
		if s := out.sums[g.Gap]; s.Message != "" {
			rep.incompleteGaps++
		}
	}
	rep.gaps = len(spans)
	// Events of the same item: reconciliation reports the end state, so a
	// lost event's item may be reported under its later id, or only its
	// folder (created and gone within the gap).
	changed := func(gap uint64, ids ...string) bool {
		for _, r := range out.recs[gap] {
			for _, id := range ids {
				if id != "" && (r.ItemId == id || r.FolderId == id) {
					return true
				}
			}
		}
		return false
	}
	const slack = 500 * time.Millisecond // in flight on loopback when the link broke
	pmu.Lock()
	defer pmu.Unlock()
	rep.produced = len(prod)
	gapOf := func(p produced) *span {
		for i := range spans {
			if !p.at.Before(spans[i].from.Add(-slack)) && !p.before.After(spans[i].to.Add(slack)) {
				return &spans[i]
			}
		}
		return nil
	}
	// When each item and folder came to be: one created, copied or moved
	// in inside a gap and gone again by its end is reported by no sync.
	born := map[string]time.Time{}
	// Folders that had a subfolder created in them, and when: a subfolder
	// created and deleted within a gap changes its parent and leaves no
	// trace in SyncFolderHierarchy.
	childBorn := map[string][]time.Time{}
	for _, p := range prod {
		switch p.ev.Type {
		case ews.CreatedEvent, ews.CopiedEvent, ews.MovedEvent:
			if p.ev.ItemId.Id != "" {
				born[p.ev.ItemId.Id] = p.at
			} else if p.ev.Type != ews.MovedEvent {
				born[p.ev.FolderId.Id] = p.at
				childBorn[p.ev.ParentFolderId.Id] = append(childBorn[p.ev.ParentFolderId.Id], p.at)
			}
		}
	}
	// Events in hidden folders (the AllItems search folder repeating a
	// deletion or reporting a move, on the Exchange 2013 store) are about an
	// item whose state lives in a visible folder: the folder it was last
	// seen in there stands for them. A repeated deletion is covered by its
	// visible twin when that arrived.
	lastVisible := map[string]string{}
	twinOf := map[int]int{} // a hidden folder's DeletedEvent -> the same deletion in a visible folder
	{
		visibleDel := map[string]int{}
		for i, p := range prod {
			ev := p.ev
			if ev.ItemId.Id == "" {
				continue
			}
			if srv.HiddenFolder(ev.ParentFolderId.Id) {
				if j, ok := visibleDel[ev.ItemId.Id]; ok && ev.Type == ews.DeletedEvent {
					twinOf[i] = j
				}
				continue
			}
			lastVisible[ev.ItemId.Id] = ev.ParentFolderId.Id
			if ev.Type == ews.DeletedEvent {
				visibleDel[ev.ItemId.Id] = i
			}
			if ev.OldItemId.Id != "" && !srv.HiddenFolder(ev.OldParentFolderId.Id) {
				lastVisible[ev.OldItemId.Id] = ev.OldParentFolderId.Id
			}
		}
	}
	inSpan := func(sp *span, t time.Time) bool { return !t.Before(sp.from.Add(-slack)) && !t.After(sp.to.Add(slack)) }
	bornIn := func(sp *span, ev ews.Event) bool {
		for _, id := range []string{ev.ItemId.Id, ev.FolderId.Id, ev.ParentFolderId.Id} {
			if t, ok := born[id]; ok && inSpan(sp, t) {
				return true
			}
		}
		if ev.ItemId.Id == "" && ev.Type == ews.ModifiedEvent {
			for _, t := range childBorn[ev.FolderId.Id] {
				if inSpan(sp, t) {
					return true
				}
			}
		}
		return false
	}
	// Which produced events count as delivered. Pull: those whose watermark
	// arrived (watermarks are unique). Streaming events carry no watermark,
	// and many are alike — every meeting request's ModifiedEvent on the
	// Calendar has the same values — so which of the alike ones arrived is
	// found from the order: see matchInOrder.
	keyOf := func(p produced) string {
		if mode == "pull" {
			return p.ev.Watermark
		}
		r := ews.EventRecord(p.ev)
		r.Watermark = ""
		return recordKey(r)
	}
	deliveredAt := make([]bool, len(prod))
	if mode == "pull" {
		for i, p := range prod {
			deliveredAt[i] = out.events[p.ev.Watermark] > 0
		}
	} else {
		var unmatched int
		deliveredAt, unmatched = matchInOrder(prod, keyOf, out.arrived)
		if unmatched > 0 {
			t.Errorf("%d of %d event lines match no event produced after the one the line before matched: the stream's order is not the journal's\n%s", unmatched, len(out.arrived), explainOrder(prod, keyOf, out.arrived)+explainLines(out, faultLog, prod, keyOf))
		}
	}
	if mode == "pull" {
		for _, n := range out.events {
			if n > 1 {
				rep.duplicated += n - 1
			}
		}
	}
	var lostOutside []string
	for i, p := range prod {
		if deliveredAt[i] {
			rep.delivered++
			continue
		}
		rep.lost++
		in := gapOf(p)
		if in == nil {
			if len(lostOutside) < 5 {
				lostOutside = append(lostOutside, fmt.Sprintf("%s %s at %s", p.ev.Type, p.ev.Watermark, p.at.Format("15:04:05.000")))
			}
			continue
		}
		rep.inGaps++
		ev := p.ev
		if j, ok := twinOf[i]; ok && deliveredAt[j] {
			rep.hiddenTwin++ // AllItems repeating a deletion that arrived
			continue
		}
		visible := ""
		if srv.HiddenFolder(ev.ParentFolderId.Id) {
			visible = lastVisible[ev.ItemId.Id]
		}
		// Gaps can lie closer together than the slack: the event may
		// belong to any whose window holds it.
		var cands []*span
		for i := range spans {
			if !p.at.Before(spans[i].from.Add(-slack)) && !p.before.After(spans[i].to.Add(slack)) {
				cands = append(cands, &spans[i])
			}
		}
		anyGap := func(f func(sp *span) bool) bool {
			for _, sp := range cands {
				if f(sp) {
					return true
				}
			}
			return false
		}
		if anyGap(func(sp *span) bool { return changed(sp.id, ev.ItemId.Id, ev.OldItemId.Id) }) {
			rep.reconciledItem++
		}
		if anyGap(func(sp *span) bool {
			return changed(sp.id, ev.ItemId.Id, ev.OldItemId.Id, ev.FolderId.Id, ev.ParentFolderId.Id, ev.OldParentFolderId.Id, visible)
		}) {
			rep.reconciled++
		} else if anyGap(func(sp *span) bool { return bornIn(sp, ev) }) {
			rep.superseded++
		} else if anyGap(func(sp *span) bool { return out.sums[sp.id].Message != "" }) {
			rep.incompleteLost++
		} else {
			var around []string
			for _, q := range prod {
				if inSpan(in, q.at) && (q.ev.FolderId.Id == ev.FolderId.Id || q.ev.ParentFolderId.Id == ev.FolderId.Id || q.ev.OldParentFolderId.Id == ev.FolderId.Id) {
					around = append(around, fmt.Sprintf("%s item %.12s… folder %.12s… parent %.12s… old parent %.12s…", q.ev.Type, q.ev.ItemId.Id, q.ev.FolderId.Id, q.ev.ParentFolderId.Id, q.ev.OldParentFolderId.Id))
				}
			}
			t.Errorf("lost %s (item %q folder %q parent %q) inside gap %d (of %d candidates), but neither among its %d reconciled changes; the gap's events on that folder:\n%s", ev.Type, ev.ItemId.Id, ev.FolderId.Id, ev.ParentFolderId.Id, in.id, len(cands), len(out.recs[in.id]), strings.Join(around, "\n"))
		}
	}
	if len(lostOutside) > 0 {
		t.Errorf("%d events lost outside every gap, e.g. %q", rep.lost-rep.inGaps, lostOutside)
	}
	if rep.duplicated > 0 && mode == "pull" {
		t.Errorf("pull duplicated %d events", rep.duplicated)
	}
	if rep.produced < 10*nFaults {
		t.Errorf("only %d events produced for %d faults", rep.produced, nFaults)
	}
	if rep.incompleteGaps > max(1, rep.gaps/10) {
		t.Errorf("%d of %d reconciliations incomplete: %v", rep.incompleteGaps, rep.gaps, out.sums)
	}
	return rep
}

// matchInOrder finds which produced events the streamed event lines are:
// each line is the first event with its values produced after the event
// the line before it was; unmatched counts the lines that match none.
//
// Why the order holds: the simulator journals every event under its store
// lock, and prod is in journal order (one goroutine runs the actions one
// after another, and Act returns an action's events in journal order). A
// streaming subscription delivers its events in journal order, and watch
// writes them in the order they come; the runner streams one subscription
// at a time, and a new one only gets events journaled after it was made,
// so after every event the one before could still deliver. The lines are
// therefore a subsequence of prod, and the test fails where a line
// matches no event after the one the line before matched.
//
// Matching alike events by count instead (as many of each as arrived,
// those outside gaps first, the rest in production order, as this test
// did) is wrong: it credits a line that came live just after gap B to an
// alike event lost in an earlier gap A, and calls the event that arrived
// lost in gap B, whose reconciliation rightly does not list it (nothing of
// it was missed). Every meeting request's ModifiedEvent on the Calendar is
// alike (UnreadCount 0), so such a swap can land anywhere in a run; on
// 2026-12-03 the two ways disagreed on 974 of the 79,566 events of a
// 1,000-fault soak. In order, a line is credited to the wrong one of two
// alike events only when every event between them was lost too: both lie
// at the same gap, and the one checked in place of the other is checked
// against that gap.
func matchInOrder(prod []produced, keyOf func(produced) string, arrived []string) (delivered []bool, unmatched int) {
	idx := map[string][]int{}
	for i, p := range prod {
		k := keyOf(p)
		idx[k] = append(idx[k], i)
	}
	delivered = make([]bool, len(prod))
	next := 0
	for _, k := range arrived {
		l := idx[k]
		n := sort.SearchInts(l, next)
		if n == len(l) {
			unmatched++
			continue
		}
		delivered[l[n]] = true
		next = l[n] + 1
	}
	return delivered, unmatched
}

// explainOrder describes the first event line matchInOrder could not
// place: where it came, what the line before matched, and where in the
// journal events with its values were produced.
func explainOrder(prod []produced, keyOf func(produced) string, arrived []string) string {
	idx := map[string][]int{}
	for i, p := range prod {
		k := keyOf(p)
		idx[k] = append(idx[k], i)
	}
	next, prevAt := 0, -1
	for a, k := range arrived {
		l := idx[k]
		n := sort.SearchInts(l, next)
		if n < len(l) {
			next, prevAt = l[n]+1, l[n]
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "line %d %q: the line before matched journal event %d; this one's values were produced at %v\n", a, k, prevAt, l)
		show := func(i int) {
			if i >= 0 && i < len(prod) {
				fmt.Fprintf(&b, "  journal %d at %s: %s\n", i, prod[i].at.Format("15:04:05.000"), keyOf(prod[i]))
			}
		}
		for _, i := range l {
			for j := i - 3; j <= i+3; j++ {
				show(j)
			}
		}
		for j := prevAt - 3; j <= prevAt+1; j++ {
			show(j)
		}
		for j := max(0, a-6); j <= min(len(arrived)-1, a+3); j++ {
			fmt.Fprintf(&b, "  line %d: %s\n", j, arrived[j])
		}
		return b.String()
	}
	return ""
}

// explainLines shows watch's output around the first misplaced event
// line, and the faults.
func explainLines(out *watchOut, faultLog []string, prod []produced, keyOf func(produced) string) string {
	idx := map[string][]int{}
	for i, p := range prod {
		idx[keyOf(p)] = append(idx[keyOf(p)], i)
	}
	next := 0
	for a, k := range out.arrived {
		l := idx[k]
		n := sort.SearchInts(l, next)
		if n < len(l) {
			next = l[n] + 1
			continue
		}
		at := out.lineOf[a]
		lo, hi := max(0, at-40), min(len(out.all), at+10)
		return "output lines around it:\n  " + strings.Join(out.all[lo:hi], "\n  ") + "\nfaults:\n  " + strings.Join(faultLog, "\n  ") + "\n"
	}
	return ""
}

// recordKey identifies a streaming event by the values the contract says
// watch's line shares with the simulator's record of it (streaming events
// carry no watermark; DESIGN.md).
func recordKey(r ews.Record) string {
	u := ""
	if r.UnreadCount != nil {
		u = strconv.Itoa(*r.UnreadCount)
	}
	return strings.Join([]string{r.Type, r.ItemId, r.FolderId, r.ParentFolderId, r.OldItemId, r.OldFolderId, r.OldParentFolderId, u}, "|")
}

// waitFor polls cond until it holds; the deadline only bounds a hang.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("waiting for %s: gave up", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// matchInOrder credits each line to the alike event it was: the Calendar
// ModifiedEvent lost in the first gap stays lost, the alike one that came
// after the next delivered event is delivered, and a line out of journal
// order matches nothing.
func TestMatchInOrder(t *testing.T) {
	ev := func(typ ews.EventType, folder string) produced {
		return produced{ev: ews.Event{Type: typ, FolderId: ews.FolderId{Id: folder}}}
	}
	key := func(p produced) string { return string(p.ev.Type) + "|" + p.ev.FolderId.Id }
	prod := []produced{ev(ews.ModifiedEvent, "cal"), ev(ews.CreatedEvent, "x"), ev(ews.ModifiedEvent, "cal"), ev(ews.CreatedEvent, "y")}
	got, unmatched := matchInOrder(prod, key, []string{"CreatedEvent|x", "ModifiedEvent|cal"})
	if want := []bool{false, true, true, false}; !slices.Equal(got, want) || unmatched != 0 {
		t.Errorf("delivered %v unmatched %d, want %v 0", got, unmatched, want)
	}
	got, unmatched = matchInOrder(prod, key, []string{"CreatedEvent|y", "CreatedEvent|x"})
	if want := []bool{false, false, false, true}; !slices.Equal(got, want) || unmatched != 1 {
		t.Errorf("out of order: delivered %v unmatched %d, want %v 1", got, unmatched, want)
	}
}
