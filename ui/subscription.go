package ui

import (
	"context"
	"errors"

	tea "charm.land/bubbletea/v2"

	"github.com/ewsmon/ewsmon/ews"
)

// subscribe (re)starts the subscription as a new generation; the old one's
// channel is cancelled and drained, its updates ignored.
func (m *Model) subscribe() tea.Cmd {
	if m.cmp != nil {
		return m.subscribeCompare()
	}
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
		m.noteAuth(u)
		if len(u.Events) > 0 {
			m.frame.arrived(u.At)
		}
	}
	if v := m.opts.Backend.ServerVersion().String(); v != m.sessionVersion { // Backend is set: it made msg
		m.updateSession()
	}
	resolve := m.resolveUnknown()
	if !msg.closed {
		return tea.Batch(waitUpdates(msg.gen, msg.ch), resolve)
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
	clock := m.opts.Clock
	return func() tea.Msg {
		<-clock.After(quitWait)
		return quitTimeoutMsg{}
	}
}

// resolveUnknown asks GetFolder, one batch at a time, for the folders events
// named that neither the tree nor the hidden folders know, so that labels
// name the AllItems search folder or Recoverable Items instead of a hash.
func (m *Model) resolveUnknown() tea.Cmd {
	if m.resolving || m.opts.Backend == nil {
		return nil
	}
	ids := m.st.UnknownFolders(50)
	if len(ids) == 0 {
		return nil
	}
	m.resolving = true
	return resolveFoldersCmd(m.ctx, m.opts.Backend, ids)
}

func (m *Model) onHidden(msg hiddenMsg) tea.Cmd {
	m.resolving = false
	m.st.ApplyHiddenFolders(msg.folders)
	// An error leaves those folders named by hash: nothing to tell the user
	// beyond what the labels show.
	return m.resolveUnknown()
}

// noteAuth keeps whether the server refused the credentials, for s to ask
// for the password again.
func (m *Model) noteAuth(u ews.Update) {
	var te *ews.TransportError
	switch {
	case u.Err != nil:
		m.authFailed = errors.As(u.Err, &te) && te.StatusCode == 401
	case u.State == ews.StateOpen:
		m.authFailed = false
	}
}

// canAskPassword: s asks for the password instead of retrying with the one
// the server refused.
func (m *Model) canAskPassword() bool {
	return m.authFailed && m.opts.SetSecret != nil && m.st.Status().State == ews.StateError
}

func (m *Model) passwordKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		secret := m.passwordIn.Take()
		m.passwordIn.close(false)
		m.modes.pop()
		if secret == "" {
			m.setFlash("no password typed: not subscribing", flashError)
			return nil
		}
		m.opts.SetSecret(secret)
		m.authFailed = false
		return m.subscribeKey()
	case "esc":
		m.passwordIn.Take()
		m.passwordIn.close(false)
		m.modes.pop()
	default:
		m.passwordIn.Update(msg)
	}
	return nil
}
