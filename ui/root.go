package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/keymap"
	"github.com/ewsmon/ewsmon/model"
	"github.com/ewsmon/ewsmon/theme"
)

const (
	// syncQuiet is how long folder events must have stopped before the
	// debounced incremental SyncFolderHierarchy runs.
	syncQuiet = 2 * time.Second
	// quitWait bounds the wait for the unsubscribe on quit.
	quitWait = 5 * time.Second
	// flashFor is how long a one-line message stays in the bottom bar.
	flashFor = 8 * time.Second
	// itemBatch is the most item ids asked for in one GetItem.
	itemBatch = 50
)

// Model is the dashboard's root model: it owns the subscription and the
// domain state, routes messages to the panes, lays them out and owns focus.
type Model struct {
	ctx  context.Context
	opts Options
	keys keymap.KeyMap
	st   *model.State
	c    *common

	folders *foldersPane
	events  *eventsPane
	status  *statusPane
	detail  *detailPane
	help    *helpPane

	focus      paneID
	showDetail bool
	showHelp   bool
	filtering  bool
	input      lineInput
	typesDlg   *typesDialog
	themeAuto  bool

	width, height int
	wide          bool
	headerH       int
	bannerLines   []string
	rects         map[paneID]rect
	bodyY, bodyH  int

	// The subscription: generation gen reads ch until it closes.
	watchCfg       ews.WatchConfig
	gen            uint64
	ch             <-chan ews.Update
	cancel         context.CancelFunc
	watching       bool
	unsubscribing  bool
	quitting       bool
	sessionVersion string

	syncing        bool
	syncAgain      bool
	foldersFetched bool

	requested map[string]bool // item ids asked for with GetItem

	flash      string
	flashErr   bool
	flashUntil time.Time
}

// New builds the dashboard; run it with tea.NewProgram(ui.New(ctx, opts)).Run().
// It subscribes and syncs the folder tree when the program starts (Init).
func New(ctx context.Context, opts Options) tea.Model { return newModel(ctx, opts) }

func newModel(ctx context.Context, opts Options) *Model {
	if opts.Clock == nil {
		opts.Clock = ews.RealClock{}
	}
	if opts.SimRate <= 0 {
		opts.SimRate = 1
	}
	keys := opts.Keys
	if len(keys.Quit.Keys()) == 0 {
		keys = keymap.DefaultKeyMap()
	}
	keys.SetSimEnabled(opts.Sim != nil)

	m := &Model{ctx: ctx, opts: opts, keys: keys, requested: map[string]bool{}, rects: map[paneID]rect{}}
	styles := opts.Theme
	if styles.Name == "" {
		switch opts.ThemeName {
		case "", "auto":
			m.themeAuto = true
			styles = theme.New("dark")
		default:
			styles = theme.New(opts.ThemeName)
		}
	}
	m.st = model.New(model.Config{MaxEvents: opts.MaxEvents, Location: opts.Location})
	m.c = &common{st: m.st, styles: styles, keys: &m.keys, clock: opts.Clock}
	m.folders = newFoldersPane(m.c)
	m.events = newEventsPane(m.c)
	m.status = newStatusPane(m.c, opts.Sim)
	m.detail = newDetailPane(m.c)
	m.help = newHelpPane(m.c)

	m.watchCfg = opts.Watch
	if m.watchCfg.Mode == "" {
		m.watchCfg.Mode = ews.ModeStreaming
	}
	m.focus = paneEvents
	m.events.SetFocused(true)
	m.updateSession()
	m.st.Apply(ews.Update{At: m.now(), Mode: m.watchCfg.Mode, State: ews.StateSubscribing})
	return m
}

func (m *Model) now() time.Time { return m.opts.Clock.Now() }

// Init subscribes, starts the full folder sync and the one-second tick.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.subscribe(), m.startSync(true), tick(m.opts.Clock)}
	if m.themeAuto {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	return tea.Batch(cmds...)
}

// updateSession tells the model what is being watched.
func (m *Model) updateSession() {
	var folders []string
	for _, r := range m.watchCfg.Folders {
		if r.Distinguished != "" {
			folders = append(folders, r.Distinguished)
		} else {
			folders = append(folders, m.st.Tree().Name(r.Id.Id))
		}
	}
	ver := ""
	if m.opts.Backend != nil {
		ver = m.opts.Backend.ServerVersion().String()
	}
	m.sessionVersion = ver
	m.st.SetSession(model.Session{
		URL: m.opts.URL, User: m.opts.User, ServerVersion: ver, Mode: m.watchCfg.Mode,
		Folders: folders, EventTypes: m.watchCfg.EventTypes, Simulator: m.opts.Sim != nil,
	})
}

// subscribe (re)starts the subscription as a new generation; the old one's
// channel is cancelled and drained, its updates ignored.
func (m *Model) subscribe() tea.Cmd {
	if m.opts.Backend == nil {
		m.st.Apply(ews.Update{At: m.now(), Mode: m.watchCfg.Mode, State: ews.StateError,
			Err: errors.New("no EWS server is configured")})
		return nil
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.gen++
	ctx, cancel := context.WithCancel(m.ctx)
	m.cancel = cancel
	m.ch = m.opts.Backend.Watch(ctx, m.watchCfg)
	m.watching = true
	m.unsubscribing = false
	m.updateSession()
	m.st.Apply(ews.Update{At: m.now(), Mode: m.watchCfg.Mode, State: ews.StateSubscribing})
	return waitUpdates(m.gen, m.ch)
}

func (m *Model) setFlash(s string, isErr bool) {
	m.flash, m.flashErr, m.flashUntil = s, isErr, m.now().Add(flashFor)
}

// startSync runs SyncFolderHierarchy (full: from scratch), one at a time.
func (m *Model) startSync(full bool) tea.Cmd {
	if m.opts.Backend == nil {
		return nil
	}
	if m.syncing {
		m.syncAgain = true
		return nil
	}
	tree := m.st.Tree()
	state := tree.SyncState()
	if full || !tree.Synced() {
		state = ""
	}
	tree.MarkSynced()
	m.syncing = true
	m.folders.syncing = true
	return syncCmd(m.ctx, m.opts.Backend, state)
}

// fetchItems asks GetItem for the subjects of the items on screen that are
// not known yet, each id once.
func (m *Model) fetchItems() tea.Cmd {
	if m.showHelp || m.opts.Backend == nil {
		return nil
	}
	if len(m.requested) > 4*max(m.st.Config().MaxEvents, 1000) {
		m.requested = map[string]bool{}
	}
	var ids []ews.ItemId
	want := func(e *model.Entry) {
		id := e.Event.ItemId
		if id.IsZero() || m.requested[id.Id] {
			return
		}
		if _, ok := m.st.Item(id.Id); ok {
			return
		}
		m.requested[id.Id] = true
		ids = append(ids, id)
	}
	for _, r := range m.events.VisibleRows() {
		if r.Entry != nil {
			want(r.Entry)
		} else if len(r.Cascade.Entries) > 0 {
			want(r.Cascade.Entries[0])
		}
	}
	var cmds []tea.Cmd
	for len(ids) > 0 {
		n := min(len(ids), itemBatch)
		cmds = append(cmds, getItemsCmd(m.ctx, m.opts.Backend, ids[:n]))
		ids = ids[n:]
	}
	return tea.Batch(cmds...)
}

// Update routes a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	if _, isTick := msg.(tickMsg); !isTick {
		if fc := m.fetchItems(); fc != nil {
			cmd = tea.Batch(cmd, fc)
		}
	}
	m.relayout()
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return nil
	case tea.BackgroundColorMsg:
		if m.themeAuto {
			m.c.styles = theme.ForBackground(msg.IsDark())
		}
		return nil
	case updatesMsg:
		return m.onUpdates(msg)
	case tickMsg:
		var cmds []tea.Cmd
		cmds = append(cmds, tick(m.opts.Clock))
		if !m.syncing && m.st.Tree().Synced() && m.st.Tree().SyncDue(msg.at, syncQuiet) {
			cmds = append(cmds, m.startSync(false))
		}
		if m.flash != "" && !msg.at.Before(m.flashUntil) {
			m.flash = ""
		}
		return tea.Batch(cmds...)
	case syncMsg:
		return m.onSync(msg)
	case foldersMsg:
		if msg.err != nil {
			m.setFlash("GetFolder: "+msg.err.Error(), true)
			return nil
		}
		m.st.ApplyFolders(msg.folders)
		return nil
	case itemsMsg:
		// The client returns the items it found along with an error for
		// the others (deleted since), so apply what came.
		for _, it := range msg.items {
			m.st.ApplyItem(it)
		}
		var re *ews.ResponseError
		if msg.err != nil && len(msg.items) == 0 && len(msg.ids) > 1 && errors.As(msg.err, &re) {
			// A server that fails the whole batch for one missing item:
			// ask for each alone, once. (Transport errors are not retried.)
			var cmds []tea.Cmd
			for _, id := range msg.ids {
				cmds = append(cmds, getItemsCmd(m.ctx, m.opts.Backend, []ews.ItemId{id}))
			}
			return tea.Batch(cmds...)
		}
		return nil
	case detailItemMsg:
		if msg.err == nil {
			m.st.ApplyItem(msg.item)
		}
		m.detail.SetItem(msg)
		return nil
	case exportMsg:
		if msg.err != nil {
			m.setFlash(msg.err.Error(), true)
		} else {
			m.setFlash(fmt.Sprintf("exported %d events to %s", msg.n, msg.path), false)
			m.status.lastExport = msg.path
		}
		return nil
	case simMsg:
		if msg.err != nil {
			m.setFlash(fmt.Sprintf("simulator %s: %v", msg.action, msg.err), true)
		} else {
			m.setFlash("simulator: "+msg.action, false)
		}
		return nil
	case quitTimeoutMsg:
		return tea.Quit
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.MouseClickMsg:
		return m.onClick(msg)
	case tea.MouseWheelMsg:
		return m.onWheel(msg)
	}
	return nil
}

func (m *Model) onUpdates(msg updatesMsg) tea.Cmd {
	if msg.gen != m.gen {
		// An old subscription winding down: keep reading so its runner can
		// finish, drop what it says.
		if !msg.closed {
			return waitUpdates(msg.gen, msg.ch)
		}
		return nil
	}
	for _, u := range msg.updates {
		m.st.Apply(u)
	}
	if v := m.opts.Backend.ServerVersion().String(); v != m.sessionVersion { // Backend is set: it made msg
		m.updateSession()
	}
	if !msg.closed {
		return waitUpdates(msg.gen, msg.ch)
	}
	m.watching = false
	m.unsubscribing = false
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	switch st := m.st.Status(); st.State {
	case ews.StateError, ews.StateUnsubscribed, ews.StateExpired:
	default:
		// The runner ended without saying so.
		m.st.Apply(ews.Update{At: m.now(), Mode: st.Mode, State: ews.StateUnsubscribed})
	}
	if m.quitting {
		return tea.Quit
	}
	return nil
}

func (m *Model) onSync(msg syncMsg) tea.Cmd {
	m.syncing = false
	m.folders.syncing = false
	if msg.err != nil {
		m.folders.syncErr = msg.err.Error()
		m.setFlash("SyncFolderHierarchy: "+msg.err.Error(), true)
		m.syncAgain = false
		return nil
	}
	m.folders.syncErr = ""
	m.st.ApplySync(msg.res)
	m.updateSession() // folder names may be known now
	var cmds []tea.Cmd
	if !m.foldersFetched {
		m.foldersFetched = true
		var ids []ews.FolderId
		for _, n := range m.st.Tree().Flatten(nil) {
			ids = append(ids, n.Folder.FolderId)
		}
		for len(ids) > 0 {
			n := min(len(ids), 100)
			cmds = append(cmds, getFoldersCmd(m.ctx, m.opts.Backend, ids[:n]))
			ids = ids[n:]
		}
	}
	if (msg.res != nil && !msg.res.IncludesLastFolderInRange) || m.syncAgain {
		m.syncAgain = false
		cmds = append(cmds, m.startSync(false))
	}
	return tea.Batch(cmds...)
}

// focusable lists the panes tab cycles through, in order.
func (m *Model) focusable() []paneID {
	var ids []paneID
	if _, ok := m.rects[paneFolders]; ok {
		ids = append(ids, paneFolders)
	}
	ids = append(ids, paneEvents)
	if m.wide {
		ids = append(ids, paneStatus)
	}
	return ids
}

func (m *Model) pane(id paneID) pane {
	switch id {
	case paneFolders:
		return m.folders
	case paneStatus:
		return m.status
	}
	return m.events
}

func (m *Model) setFocus(id paneID) {
	m.focus = id
	m.folders.SetFocused(id == paneFolders)
	m.events.SetFocused(id == paneEvents)
	m.status.SetFocused(id == paneStatus)
}

func (m *Model) cycleFocus(d int) {
	ids := m.focusable()
	i := 0
	for j, id := range ids {
		if id == m.focus {
			i = j
		}
	}
	m.setFocus(ids[(i+d+len(ids))%len(ids)])
}

// quit unsubscribes first (bounded), then ends the program; a second quit
// key ends it at once.
func (m *Model) quit() tea.Cmd {
	if m.quitting || !m.watching {
		m.quitting = true
		if m.cancel != nil {
			m.cancel()
		}
		return tea.Quit
	}
	m.quitting = true
	m.cancel()
	m.setFlash("unsubscribing…", false)
	clock := m.opts.Clock
	return func() tea.Msg {
		<-clock.After(quitWait)
		return quitTimeoutMsg{}
	}
}

func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.filtering {
		switch msg.String() {
		case "enter":
			m.filtering = false
			f, err := parseFilter(m.input.Value(), m.st.Tree())
			if err != nil {
				m.setFlash(err.Error(), true)
				return nil
			}
			m.st.SetFilter(f)
			return nil
		case "esc":
			m.filtering = false
			return nil
		}
		m.input.Update(msg)
		return nil
	}
	if m.typesDlg != nil {
		done, apply := m.typesDlg.Update(msg)
		if done {
			chosen := m.typesDlg.Chosen()
			m.typesDlg = nil
			if apply {
				if len(chosen) == len(ews.AllEventTypes) {
					chosen = nil
				}
				m.watchCfg.EventTypes = chosen
				return m.subscribe()
			}
		}
		return nil
	}
	if m.showHelp {
		switch {
		case key.Matches(msg, k.Quit):
			return m.quit()
		case key.Matches(msg, k.Back, k.Help):
			m.showHelp = false
		default:
			m.help.Update(msg)
		}
		return nil
	}

	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp = true
		m.help.top = 0
		return nil
	case key.Matches(msg, k.Back):
		switch {
		case m.showDetail:
			m.showDetail = false
		case !m.st.Filter().IsZero():
			m.st.SetFilter(model.Filter{})
		}
		return nil
	case key.Matches(msg, k.Pause):
		m.events.SetFollow(!m.events.Following())
		return nil
	case key.Matches(msg, k.Subscribe):
		if m.watching && !m.unsubscribing {
			m.setFlash("already subscribed (u unsubscribes, m switches mode)", false)
			return nil
		}
		cmd := m.subscribe()
		if !m.st.Tree().Synced() && !m.syncing {
			// The first sync failed too (server unreachable): retry it.
			cmd = tea.Batch(cmd, m.startSync(true))
		}
		return cmd
	case key.Matches(msg, k.Unsubscribe):
		if !m.watching || m.unsubscribing {
			m.setFlash("not subscribed (s subscribes)", false)
			return nil
		}
		m.unsubscribing = true
		m.cancel()
		m.setFlash("unsubscribing…", false)
		return nil
	case key.Matches(msg, k.Mode):
		if m.watchCfg.Mode == ews.ModePull {
			m.watchCfg.Mode = ews.ModeStreaming
		} else {
			m.watchCfg.Mode = ews.ModePull
		}
		m.setFlash("resubscribing in "+string(m.watchCfg.Mode)+" mode", false)
		return m.subscribe()
	case key.Matches(msg, k.FolderScope):
		if len(m.watchCfg.Folders) > 0 {
			m.watchCfg.Folders = nil
			m.setFlash("watching all folders", false)
			return m.subscribe()
		}
		id := m.folders.Selected()
		if id == "" {
			m.setFlash("select a folder in the tree first (tab to the tree)", true)
			return nil
		}
		m.watchCfg.Folders = []ews.FolderRef{ews.FolderRefOf(ews.FolderId{Id: id})}
		m.setFlash("watching "+m.st.Tree().Name(id)+" only (f again: all folders)", false)
		return m.subscribe()
	case key.Matches(msg, k.EventTypes):
		m.typesDlg = newTypesDialog(m.c, m.watchCfg.EventTypes)
		return nil
	case key.Matches(msg, k.Filter):
		m.filtering = true
		m.input.SetValue(filterText(m.st.Filter(), m.st.Tree()))
		return nil
	case key.Matches(msg, k.Clear):
		m.st.Clear()
		m.events.pausedAt = m.st.Status().Events
		m.showDetail = false
		return nil
	case key.Matches(msg, k.Export):
		return exportCmd(m.opts.ExportDir, m.now(), m.st.VisibleEvents())
	case key.Matches(msg, k.Resync):
		m.setFlash("syncing folders…", false)
		return m.startSync(false)
	case key.Matches(msg, k.NextPane):
		if !m.showDetail {
			m.cycleFocus(1)
		}
		return nil
	case key.Matches(msg, k.PrevPane):
		if !m.showDetail {
			m.cycleFocus(-1)
		}
		return nil
	}
	if m.opts.Sim != nil {
		if key.Matches(msg, k.SimActivity) {
			if m.opts.Sim.Activity() > 0 {
				m.opts.Sim.SetActivity(0)
				m.setFlash("activity generator off", false)
			} else {
				m.opts.Sim.SetActivity(m.opts.SimRate)
				m.setFlash(fmt.Sprintf("activity generator on (%g actions/s)", m.opts.SimRate), false)
			}
			return nil
		}
		for _, a := range k.SimActions() {
			if key.Matches(msg, *a.Binding) {
				return simCmd(m.ctx, m.opts.Sim, a.SimAction)
			}
		}
	}
	if m.showDetail {
		_, cmd := m.detail.Update(msg)
		return cmd
	}
	if key.Matches(msg, k.Enter) {
		return m.enter()
	}
	_, cmd := m.pane(m.focus).Update(msg)
	return cmd
}

// enter acts on the focused pane's selection.
func (m *Model) enter() tea.Cmd {
	switch m.focus {
	case paneFolders:
		m.pickFolder(m.folders.Selected())
	case paneEvents:
		r, ok := m.events.Selected()
		if !ok {
			return nil
		}
		if r.Entry == nil {
			m.st.ToggleExpanded(r.Cascade.ID)
			return nil
		}
		return m.openDetail(r)
	}
	return nil
}

func (m *Model) pickFolder(id string) {
	f := m.st.Filter()
	if f.FolderId == id {
		return
	}
	f.FolderId = id
	m.st.SetFilter(f)
}

func (m *Model) openDetail(r model.Row) tea.Cmd {
	e := r.Entry
	id := e.Event.ItemId
	m.showDetail = true
	if id.IsZero() {
		m.detail.Open(e, m.st.Label(r.Cascade), false)
		return nil
	}
	if it, ok := m.st.Item(id.Id); ok {
		m.detail.Open(e, m.st.Label(r.Cascade), false)
		m.detail.SetItem(detailItemMsg{seq: e.Seq, item: it})
		return nil
	}
	m.detail.Open(e, m.st.Label(r.Cascade), true)
	return detailItemCmd(m.ctx, m.opts.Backend, e.Seq, id)
}

func (m *Model) onClick(msg tea.MouseClickMsg) tea.Cmd {
	if msg.Button != tea.MouseLeft || m.showHelp || m.typesDlg != nil {
		return nil
	}
	for _, id := range []paneID{paneFolders, paneEvents, paneStatus} {
		r, ok := m.rects[id]
		if !ok || !r.contains(msg.X, msg.Y) {
			continue
		}
		if m.showDetail && id != paneStatus {
			return nil // the detail view covers the tree and the list
		}
		m.setFocus(id)
		switch id {
		case paneEvents:
			m.events.ClickRow(msg.Y - r.y)
		case paneFolders:
			if m.folders.ClickRow(msg.Y - r.y) {
				m.pickFolder(m.folders.Selected())
			}
		}
	}
	return nil
}

func (m *Model) onWheel(msg tea.MouseWheelMsg) tea.Cmd {
	switch {
	case m.showHelp:
		m.help.Update(msg)
		return nil
	case m.showDetail:
		if r := m.rects[paneEvents]; r.contains(msg.X, msg.Y) {
			_, cmd := m.detail.Update(msg)
			return cmd
		}
	}
	for _, id := range []paneID{paneFolders, paneEvents, paneStatus} {
		if r, ok := m.rects[id]; ok && r.contains(msg.X, msg.Y) {
			if m.showDetail && id != paneStatus {
				return nil
			}
			_, cmd := m.pane(id).Update(msg)
			return cmd
		}
	}
	return nil
}

// relayout sizes the panes for the window: wide screens get the status as
// a right-hand pane, narrow ones a two-line header; below 60 columns the
// tree goes.
func (m *Model) relayout() {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return
	}
	m.wide = w >= 120 && h >= 30
	m.headerH = 0
	if !m.wide {
		m.headerH = 2
	}
	m.bannerLines = m.banner(w)
	m.bodyY = m.headerH + len(m.bannerLines)
	m.bodyH = max(h-m.bodyY-1, 3)

	treeW, statusW := 0, 0
	if m.wide {
		treeW = min(max(w/6, 24), 32)
		statusW = min(max(w/4, 36), 46)
	} else if w >= 60 {
		treeW = min(max(w/4, 18), 26)
	}
	eventsW := w - treeW - statusW
	clear(m.rects)
	if treeW > 0 {
		m.rects[paneFolders] = rect{0, m.bodyY, treeW, m.bodyH}
		m.folders.SetSize(treeW, m.bodyH)
	}
	m.rects[paneEvents] = rect{treeW, m.bodyY, eventsW, m.bodyH}
	m.events.SetSize(eventsW, m.bodyH)
	if statusW > 0 {
		m.rects[paneStatus] = rect{treeW + eventsW, m.bodyY, statusW, m.bodyH}
		m.status.SetSize(statusW, m.bodyH)
	}
	if m.detail.w != treeW+eventsW || m.detail.h != m.bodyH {
		m.detail.SetSize(treeW+eventsW, m.bodyH)
	}
	m.help.SetSize(w, m.bodyH)
	if _, ok := m.rects[m.focus]; !ok {
		m.setFocus(paneEvents)
	}
}

// banner is the error state's message, shown above the panes: one clear
// sentence and what the user can do.
func (m *Model) banner(w int) []string {
	st := m.st.Status()
	if st.State != ews.StateError {
		return nil
	}
	msg := st.Err
	if msg == "" {
		msg = "the subscription failed"
	}
	lines := wrap("✖ "+msg, w)
	if len(lines) > 2 {
		lines = lines[:2]
		lines[1] = fit(lines[1], w-1) + "…"
	}
	hint := "s to retry, q to quit"
	last := lines[len(lines)-1]
	if len(stripped(last))+3+len(hint) <= w {
		lines[len(lines)-1] = last + " — " + hint
	} else {
		lines = append(lines, "  "+hint)
	}
	return lines
}

// View draws the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	if !m.opts.NoMouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	v.WindowTitle = "ewsmon"
	return v
}

func (m *Model) render() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return "ewsmon: starting…"
	}
	s := m.c.styles
	var parts []string
	if m.headerH > 0 {
		parts = append(parts, m.status.Header(w))
	}
	for _, l := range m.bannerLines {
		parts = append(parts, s.ErrorBanner.Render(fit(l, w)))
	}
	parts = append(parts, m.body())
	parts = append(parts, m.bottomBar(w))
	// Every part is already exactly w wide; only the line count is fixed up
	// (a screen too small for the layout is cut at the bottom).
	lines := strings.Split(strings.Join(parts, "\n"), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return strings.Join(lines, "\n")
}

func (m *Model) body() string {
	if m.showHelp {
		return m.help.View()
	}
	var cols []string
	if m.showDetail {
		cols = append(cols, m.detail.View())
	} else {
		if _, ok := m.rects[paneFolders]; ok {
			cols = append(cols, m.folders.View())
		}
		cols = append(cols, m.events.View())
	}
	if _, ok := m.rects[paneStatus]; ok {
		cols = append(cols, m.status.View())
	}
	body := joinColumns(cols...)
	if m.typesDlg != nil {
		dlg := m.typesDlg.View()
		dw, dh := lipgloss.Size(dlg)
		if dw > m.width || dh > m.bodyH {
			dw, dh = min(dw, m.width), min(dh, m.bodyH)
			dlg = block(dlg, dw, dh)
		}
		x := max((m.width-dw)/2, 0)
		y := max((m.bodyH-dh)/2, 0)
		body = lipgloss.NewCompositor(
			lipgloss.NewLayer(body),
			lipgloss.NewLayer(dlg).X(x).Y(y).Z(1),
		).Render()
	}
	return body
}

func (m *Model) bottomBar(w int) string {
	s := m.c.styles
	if m.filtering {
		return fit(m.input.View(m.c.styles, w), w)
	}
	if m.flash != "" {
		st := s.Accent
		if m.flashErr {
			st = s.Error
		}
		return fit(st.Render(m.flash), w)
	}
	var bindings []key.Binding
	switch {
	case m.showHelp:
		bindings = m.help.ShortHelp()
	case m.typesDlg != nil:
		return fit(s.Muted.Render("↑/↓ move · space toggle · enter resubscribe · esc cancel"), w)
	case m.showDetail:
		bindings = m.detail.ShortHelp()
	default:
		bindings = m.pane(m.focus).ShortHelp()
	}
	return shortHelpLine(m.c, bindings, w)
}
