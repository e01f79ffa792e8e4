package ui

import (
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/ewsmon/ewsmon/theme"
)

// Every rune the fast width path counts as one cell is one cell to
// ansi.StringWidth too, alone and after a letter.
func TestNarrowRunesAreOneCell(t *testing.T) {
	n := 0
	for r := rune(0); r <= 0x2fff; r++ {
		if !narrowRune(r) {
			continue
		}
		n++
		if w := ansi.StringWidth(string(r)); w != 1 {
			t.Errorf("U+%04X %q: ansi.StringWidth %d, narrowRune says 1", r, r, w)
		}
		if w := ansi.StringWidth("a" + string(r)); w != 2 {
			t.Errorf("a+U+%04X: width %d, want 2", r, w)
		}
	}
	if n < 500 {
		t.Fatalf("only %d narrow runes", n)
	}
}

// width agrees with ansi.StringWidth on what the dashboard draws: styled
// rows, borders, markers, and on what the fast path hands over.
func TestWidthAgreesWithAnsi(t *testing.T) {
	st := theme.New("dark")
	cases := []string{
		"", "plain ascii", st.Muted.Render("· muted"), st.Selected.Render("› ▾ 09:00:10 Mail moved Inbox → Archive · Build 4711 failed"),
		"┏━ Events 6 ━━┓", "⠋ syncing…", "Größe café ñ", "\x1b[1;38;2;10;20;30mbold\x1b[m tail",
		"wide 日本語", "emoji ☕ ⌚", "e\u0301 combining", "zwj 👩\u200d💻", "soft\u00adhyphen", "tab\tx",
		"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "\x1b[", "\x1b[12", "▸▾●○✖✓",
	}
	for _, c := range cases {
		if got, want := width(c), ansi.StringWidth(c); got != want {
			t.Errorf("width(%q) = %d, ansi.StringWidth = %d", c, got, want)
		}
	}
}
