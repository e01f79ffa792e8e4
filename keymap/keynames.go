package keymap

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidKey reports whether name is a key name Bubble Tea v2 can report for a
// key press (tea.KeyPressMsg.String), so a binding to it can ever fire: one
// printable character as typed ("q", "G" for shift+g, "?", "é"), or a named
// key ("space", "enter", "esc", "tab", "backspace", "up", "pgdown", "home",
// "f1"…"f63", …), after optional modifiers in Bubble Tea's order ("ctrl+",
// "alt+", "shift+", "meta+", "hyper+", "super+": "ctrl+alt+x",
// "shift+tab"). "spce", "ctrl-q" and "pp" are not key names.
func ValidKey(name string) bool {
	rest := name
	for _, mod := range []string{"ctrl+", "alt+", "shift+", "meta+", "hyper+", "super+"} {
		rest = strings.TrimPrefix(rest, mod)
	}
	if namedKeys[rest] {
		return true
	}
	r, size := utf8.DecodeRuneInString(rest)
	return size == len(rest) && r != utf8.RuneError && unicode.IsGraphic(r) && !unicode.IsSpace(r)
}

// namedKeys are the names Bubble Tea v2 (ultraviolet's Key.Keystroke) gives
// keys that are not one printable character.
var namedKeys = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`enter tab backspace esc space up down left right begin find insert
		delete select pgup pgdown home end equal mul plus comma minus period div sep
		capslock scrolllock numlock printscreen pause menu
		mediaplay mediapause mediaplaypause mediareverse mediastop mediafastforward mediarewind
		medianext mediaprev mediarecord lowervol raisevol mute
		leftshift leftalt leftctrl leftsuper lefthyper leftmeta
		rightshift rightalt rightctrl rightsuper righthyper rightmeta isolevel3shift isolevel5shift`) {
		m[n] = true
	}
	for i := 1; i <= 63; i++ {
		m["f"+strconv.Itoa(i)] = true
	}
	return m
}()
