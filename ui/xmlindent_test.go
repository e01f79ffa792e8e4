package ui

import (
	"strings"
	"testing"
)

// The detail view shows the envelope as the server wrote it: prefixes and
// namespace declarations kept, leaves on one line, nesting by two spaces.
func TestIndentXMLKeepsTheEnvelopeAsWritten(t *testing.T) {
	raw := `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><m:Notification xmlns:m="urn:m"><t:ItemId Id="a&amp;b" xmlns:t="urn:t"/><m:Count>3</m:Count></m:Notification></Body></Envelope>`
	want := strings.Join([]string{
		`<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/">`,
		`  <Body>`,
		`    <m:Notification xmlns:m="urn:m">`,
		`      <t:ItemId Id="a&amp;b" xmlns:t="urn:t"/>`,
		`      <m:Count>3</m:Count>`,
		`    </m:Notification>`,
		`  </Body>`,
		`</Envelope>`,
	}, "\n")
	if got := indentXML([]byte(raw)); got != want {
		t.Errorf("indentXML:\n%s\nwant:\n%s", got, want)
	}
}
