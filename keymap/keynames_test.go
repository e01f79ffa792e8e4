package keymap

import "testing"

func TestValidKey(t *testing.T) {
	for _, k := range []string{"q", "G", "?", "1", "é", "space", "enter", "esc", "shift+tab", "ctrl+c", "ctrl+alt+shift+x", "alt+enter", "f1", "f12", "f63", "pgdown", "home"} {
		if !ValidKey(k) {
			t.Errorf("ValidKey(%q) = false", k)
		}
	}
	for _, k := range []string{"", "spce", "pp", "ctrl-q", "ctrl+", "shift+ctrl+x", " ", "f64", "f0", "Space", "\t"} {
		if ValidKey(k) {
			t.Errorf("ValidKey(%q) = true", k)
		}
	}
}

// Every default binding is a key name ValidKey accepts: the check refuses
// nothing the dashboard itself uses.
func TestDefaultKeysAreValid(t *testing.T) {
	km := DefaultKeyMap()
	for _, g := range km.Groups() {
		for _, a := range g.Actions {
			for _, k := range a.Binding.Keys() {
				if !ValidKey(k) {
					t.Errorf("%s: default key %q is not ValidKey", a.Name, k)
				}
			}
		}
	}
}
