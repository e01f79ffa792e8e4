// Package theme turns a small palette into named roles (Accent, Muted, Warn,
// EventNewMail, StateOpen, ...) and the roles into the lipgloss styles the
// dashboard's panes use. Panes ask for a role's style, never for a colour.
//
// There are three themes: "dark" and "light" (chosen from the terminal's
// background colour) and "none", which uses no colour at all (NO_COLOR);
// "none" still marks the selection with reverse video and headings in bold,
// which NO_COLOR allows.
package theme
