package ews

import "testing"

// endBuffered takes the fast path only when nothing the tag count guards
// against lies before the root's end tag.
func TestEndBufferedFastPath(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`<s:Envelope a="1"><s:Body><x/></s:Body></s:Envelope>`, true},
		{`<s:Envelope><s:Body/></s:Envelope >`, true},
		{`<s:Envelope><s:Body/></s:EnvelopeX></s:Envelope>`, true},
		{`<s:Envelope><s:Body/>`, false},                                  // not there yet
		{`<s:Envelope><s:Body/></s:Envel`, false},                         // cut inside the name
		{`<s:Envelope><!-- </s:Envelope> --><s:Body>`, false},             // a decoy in a comment
		{`<s:Envelope><![CDATA[</s:Envelope>]]>`, false},                  // in CDATA
		{`<s:Envelope><?pi </s:Envelope> ?>`, false},                      // in a PI
		{`<s:Envelope><s:Bo` + "\x00" + `dy/></s:Envelope>`, false},       // NUL
		{`<s:Envelope><s:Body><s:Envelope><s:Body/></s:Envelope>`, false}, // a cut envelope, the next begun
		{`<s:Envelope><s:EnvelopeInfo/></s:Envelope>`, true},              // another name with the root's prefix
	} {
		er := &elementReader{buf: []byte(tc.in)}
		root := []byte("s:Envelope")
		if got := er.endBuffered(0, len("<s:Envelope"), root); got != tc.want {
			t.Errorf("endBuffered(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
