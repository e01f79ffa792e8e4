package keymap

import (
	"flag"
	"os"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

func press(s string) tea.KeyPressMsg {
	switch s {
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+q":
		return tea.KeyPressMsg{Code: 'q', Mod: tea.ModCtrl}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	}
	r := []rune(s)
	return tea.KeyPressMsg{Code: r[0], Text: s}
}

func TestDefaultsHaveNoConflictsAndHelp(t *testing.T) {
	km := DefaultKeyMap()
	if c := km.Conflicts(); len(c) != 0 {
		t.Fatalf("default keymap binds keys twice: %v", c)
	}
	for _, g := range km.Groups() {
		for _, a := range g.Actions {
			if len(a.Binding.Keys()) == 0 || a.Binding.Help().Key == "" || a.Binding.Help().Desc == "" {
				t.Errorf("%s: keys %v help %+v", a.Name, a.Binding.Keys(), a.Binding.Help())
			}
		}
	}
	if !key.Matches(press("space"), km.Pause) || !key.Matches(press("q"), km.Quit) || !key.Matches(press("1"), km.SimNewMail) {
		t.Fatal("space / q / 1 do not match pause / quit / new mail")
	}
}

func TestSimActionsNameEveryDemoAction(t *testing.T) {
	km := DefaultKeyMap()
	want := []string{"new-mail", "mark-read", "mark-unread", "move-item", "copy-item", "soft-delete", "hard-delete",
		"create-folder", "rename-folder", "move-folder", "delete-folder", "meeting-request", "send-mail"}
	got := map[string]bool{}
	for _, a := range km.SimActions() {
		got[a.SimAction] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no key fires simulator action %q", w)
		}
	}
	km.SetSimEnabled(false)
	if key.Matches(press("1"), km.SimNewMail) || km.SimActivity.Enabled() {
		t.Fatal("sim keys still match when disabled")
	}
	km.SetSimEnabled(true)
	if !key.Matches(press("1"), km.SimNewMail) {
		t.Fatal("sim keys do not match when enabled again")
	}
}

func TestOverride(t *testing.T) {
	km := DefaultKeyMap()
	if err := km.Override(map[string][]string{"quit": {"q", "ctrl+q"}, "pause": {"p"}}); err != nil {
		t.Fatal(err)
	}
	if !key.Matches(press("ctrl+q"), km.Quit) || !key.Matches(press("p"), km.Pause) {
		t.Fatal("overridden keys do not match")
	}
	if key.Matches(press("space"), km.Pause) {
		t.Fatal("the old pause key still matches")
	}
	if h := km.Pause.Help(); h.Key != "p" || h.Desc != "pause / follow" {
		t.Fatalf("help after override = %+v", h)
	}

	km2 := DefaultKeyMap()
	err := km2.Override(map[string][]string{"pause": {"p"}, "explode": {"z"}})
	if err == nil || !strings.Contains(err.Error(), `unknown action "explode"`) || !strings.Contains(err.Error(), "sim-new-mail") {
		t.Fatalf("unknown action error = %v", err)
	}
	if !key.Matches(press("space"), km2.Pause) {
		t.Fatal("a failed Override changed bindings")
	}
	if err := km2.Override(map[string][]string{"quit": {}}); err == nil {
		t.Fatal("empty key list accepted")
	}
	if err := km2.Override(map[string][]string{"quit": {" "}}); err == nil {
		t.Fatal("empty key accepted")
	}
	if err := km2.Override(map[string][]string{"clear": {"q"}}); err != nil {
		t.Fatal(err)
	}
	if c := km2.Conflicts(); len(c) != 1 || c[0] != "q: clear, quit" {
		t.Fatalf("conflicts = %v", c)
	}
}

var updateDocs = flag.Bool("update", false, "rewrite the tables in docs/keys.md")

// docs/keys.md documents every action by its config name and default keys.
func TestDocsListEveryAction(t *testing.T) {
	doc, err := os.ReadFile("../docs/keys.md")
	if err != nil {
		t.Fatal(err)
	}
	km := DefaultKeyMap()
	if *updateDocs {
		const marker = "## All bindings\n\n"
		i := strings.Index(string(doc), marker)
		if i < 0 {
			t.Fatal("docs/keys.md has no '## All bindings' section")
		}
		doc = []byte(string(doc[:i+len(marker)]) + km.Markdown())
		if err := os.WriteFile("../docs/keys.md", doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(string(doc), km.Markdown()) {
		t.Errorf("docs/keys.md does not hold the current tables; paste KeyMap.Markdown() into it")
	}
	for _, g := range km.Groups() {
		for _, a := range g.Actions {
			if !strings.Contains(string(doc), "`"+a.Name+"`") {
				t.Errorf("docs/keys.md does not mention action `%s`", a.Name)
			}
			for _, k := range a.Binding.Keys() {
				if !strings.Contains(string(doc), "`"+k+"`") {
					t.Errorf("docs/keys.md does not mention key `%s` of %s", k, a.Name)
				}
			}
		}
	}
}
