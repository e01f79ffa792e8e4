package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

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
	ref     *refPane

	// cmp and summary: the transport comparison (Options.Compare); nil
	// otherwise.
	cmp     *comparison
	summary *summaryPane

	focus         paneID
	modes         modeStack    // what the screen is doing; see mode.go
	versionNotice string       // the client's RequestServerVersion fallback, once flashed
	resolving     bool         // a GetFolder for folders outside the tree is under way
	filterIn      *prompt      // the `/` filter, while modeFilter is on the stack
	filterBefore  model.Filter // the filter when `/` opened: esc goes back to it
	passwordIn    *prompt      // the password after an authentication failure (modePassword)
	searchIn      *prompt      // the detail view's `/` search (modeSearch)
	typesDlg      *typesDialog // while modeTypes is on the stack
	themeAuto     bool

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
	authFailed     bool // the latest error is the server refusing the credentials (HTTP 401)
	sessionVersion string

	sync folderSync // the folder tree's SyncFolderHierarchy, scheduled in foldersync.go

	requested map[string]bool // item ids asked for with GetItem

	flash flash

	spinner  spinner.Model // drawn by whatever waits (common.spin)
	spinning bool          // its ticks are running
	frame    pacer
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

	m := &Model{ctx: ctx, opts: opts, keys: keys, requested: map[string]bool{}, rects: map[paneID]rect{}, frame: pacer{every: opts.FrameInterval}}
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
	maxEvents := opts.MaxEvents
	if opts.Compare != nil && (maxEvents <= 0 || maxEvents > compareRows) {
		// Every listed event keeps its comparison row: the list is bounded
		// by what the comparison keeps.
		maxEvents = compareRows
	}
	m.st = model.New(model.Config{MaxEvents: maxEvents, Location: opts.Location})
	m.spinner = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.c = &common{st: m.st, styles: styles, keys: &m.keys, clock: opts.Clock,
		times: &times{loc: m.st.Config().Location, now: opts.Clock.Now}, spin: &m.spinner}
	m.folders = newFoldersPane(m.c, &m.sync)
	m.events = newEventsPane(m.c)
	m.status = newStatusPane(m.c, opts.Sim)
	m.detail = newDetailPane(m.c)
	m.help = newHelpPane(m.c)
	m.ref = newRefPane(m.c)
	if opts.Compare != nil {
		m.cmp = newComparison(opts.Compare)
		m.summary = newSummaryPane(m.c, m.cmp)
		m.events.trail = &compareColumns{c: m.c, cmp: m.cmp}
		m.events.title = "First arrivals"
		m.detail.cmp = m.cmp
	}
	m.filterIn = newPrompt("/ ", "words  type:NewMail  folder:Inbox · enter apply · esc cancel")
	m.searchIn = newPrompt("search: ", "text in the fields and the XML · enter next · esc close")
	m.passwordIn = newPasswordPrompt("password for "+opts.User+": ", "enter subscribes again · esc cancels")

	m.watchCfg = opts.Watch
	if m.watchCfg.Push == nil {
		m.watchCfg.Push = opts.Push
	}
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
	if m.opts.Backend != nil {
		m.resolving = true
		cmds = append(cmds, resolveHiddenCmd(m.ctx, m.opts.Backend))
	}
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
	ver, notice, profile := "", "", ""
	if m.opts.Backend != nil {
		ver = m.opts.Backend.ServerVersion().String()
		notice = m.opts.Backend.VersionNotice()
	}
	if m.opts.Sim != nil {
		profile = m.opts.Sim.Profile()
	}
	if notice != "" && notice != m.versionNotice {
		m.versionNotice = notice
		m.setFlash(notice, flashInfo)
	}
	m.sessionVersion = ver
	sess := model.Session{
		URL: m.opts.URL, User: m.opts.User, ServerVersion: ver, VersionNotice: notice, Profile: profile, Mode: m.watchCfg.Mode,
		Folders: folders, EventTypes: m.watchCfg.EventTypes, Simulator: m.opts.Sim != nil,
	}
	if m.opts.Push != nil {
		sess.PushListen, sess.PushURL = m.opts.Push.Addr(), m.opts.Push.URL()
	}
	m.st.SetSession(sess)
}

// setFlash shows a one-line message in the bottom bar for a while.
func (m *Model) setFlash(s string, kind flashKind) {
	m.flash = flash{text: s, kind: kind, until: m.now().Add(flashFor)}
}

// Update routes a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.frame.stats.Updates++
	if _, ok := msg.(frameMsg); ok {
		m.frame.pending, m.frame.due = false, true
		return m, nil
	}
	cmd := m.update(msg)
	if _, isTick := msg.(tickMsg); !isTick {
		if fc := m.fetchItems(); fc != nil {
			cmd = tea.Batch(cmd, fc)
		}
	}
	if m.waiting() && !m.spinning {
		m.spinning = true
		cmd = tea.Batch(cmd, m.spinner.Tick)
	}
	m.relayout()
	if fc := m.frame.changed(m.now()); fc != nil {
		cmd = tea.Batch(cmd, fc)
	}
	return m, cmd
}

// FrameStats are what the dashboard drew so far (ui/frame.go).
func (m *Model) FrameStats() FrameStats { return m.frame.Stats() }

// waiting reports whether something the screen shows a spinner for is
// under way: a folder sync, a subscription being made or unmade, the
// detail's GetItem.
func (m *Model) waiting() bool {
	switch m.st.Status().State {
	case ews.StateSubscribing, ews.StateReconnecting:
		return true
	}
	return m.sync.running || m.unsubscribing || (m.modes.has(modeDetail) && m.detail.Loading())
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.BackgroundColorMsg:
		if m.themeAuto {
			m.c.styles = theme.ForBackground(msg.IsDark())
			m.c.stylesGen++
		}
	case updatesMsg:
		return m.onUpdates(msg)
	case compareMsg:
		return m.onCompare(msg)
	case tickMsg:
		if m.cmp != nil {
			m.settleCompare(msg.at)
			m.refreshCompareDetail()
		}
		return tea.Batch(tick(m.opts.Clock), m.syncIfDue(msg.at))
	case syncMsg:
		return m.onSync(msg)
	case hiddenMsg:
		return m.onHidden(msg)
	case foldersMsg:
		if msg.err != nil {
			m.setFlash(opError("GetFolder", msg.err), flashError)
			return nil
		}
		m.st.ApplyFolders(msg.folders)
	case itemsMsg:
		return m.onItems(msg)
	case detailItemMsg:
		if msg.err == nil {
			m.st.ApplyItem(msg.item)
		}
		m.detail.SetItem(msg)
	case exportMsg:
		m.onExport(msg)
	case simMsg:
		m.onSim(msg)
	case quitTimeoutMsg:
		return tea.Quit
	case spinner.TickMsg:
		if !m.waiting() {
			m.spinning = false // the ticks stop until something waits again
			return nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		if m.detail.Loading() {
			m.detail.refreshKeepingPlace() // its "loading…" line has the spinner
		}
		return cmd
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.PasteMsg:
		return m.onPaste(msg)
	case tea.MouseClickMsg:
		return m.onClick(msg)
	case tea.MouseWheelMsg:
		return m.onWheel(msg)
	}
	return nil
}

func (m *Model) onItems(msg itemsMsg) tea.Cmd {
	// The client returns the items it found along with an error for the
	// others (deleted since), so apply what came.
	for _, it := range msg.items {
		m.st.ApplyItem(it)
	}
	var re *ews.ResponseError
	if msg.err != nil && len(msg.items) == 0 && len(msg.ids) > 1 && errors.As(msg.err, &re) {
		// A server that fails the whole batch for one missing item: ask
		// for each alone, once. (Transport errors are not retried.)
		var cmds []tea.Cmd
		for _, id := range msg.ids {
			cmds = append(cmds, getItemsCmd(m.ctx, m.opts.Backend, []ews.ItemId{id}))
		}
		return tea.Batch(cmds...)
	}
	return nil
}

func (m *Model) onExport(msg exportMsg) {
	if msg.err != nil {
		m.setFlash(msg.err.Error(), flashError)
		return
	}
	m.setFlash(fmt.Sprintf("exported %s to %s", plural(msg.n, "event"), msg.path), flashInfo)
	m.status.SetLastExport(msg.path)
}

func (m *Model) onSim(msg simMsg) {
	if msg.err == nil {
		m.setFlash("simulator: "+msg.action, flashInfo)
		return
	}
	// The simulator's error repeats the action and the mailbox
	// ("delete-folder in alice@…: no user folder: …"); drop that, so the
	// reason fits an 80-column bar.
	e := msg.err.Error()
	if strings.HasPrefix(e, msg.action+" in ") {
		if i := strings.Index(e, ": "); i >= 0 {
			e = e[i+2:]
		}
	}
	m.setFlash(fmt.Sprintf("simulator %s: %s", msg.action, e), flashError)
}
