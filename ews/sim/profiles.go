package sim

import (
	"fmt"
	"strings"

	"github.com/ewsmon/ewsmon/ews"
)

// A Profile is the Exchange version the simulator imitates: the
// ServerVersionInfo it sends, the RequestServerVersion values it accepts,
// and which generation of the store's event model fires the events
// (docs/cascades.md is the matrix of what each profile fires).
type Profile struct {
	Name  string // exchange2010, exchange2013, exchange2016, exchange2019, online
	Title string // "Exchange Server 2019"

	// ServerVersionInfo header attributes.
	Major, Minor, MajorBuild, MinorBuild int
	Version                              string

	// Accepts lists the RequestServerVersion values the profile knows,
	// oldest first; anything newer is refused with ErrorInvalidServerVersion.
	Accepts []string

	// Store13 is the Exchange 2013 store's event model, which Microsoft's
	// table "Pull notifications for EWS deletion-related mailbox events"
	// gives for "Exchange Online and Exchange 2013": the hidden AllItems
	// search folder reports moves and deletes to all-folders subscriptions,
	// and soft deletes go to Recoverable Items. Exchange 2016 and 2019 are
	// versions 15.1 and 15.2 of the same store; that they fire as 2013
	// does is modelled (the table predates them).
	Store13 bool
}

// RequestServerVersion values, oldest first (types.xsd ExchangeVersionType
// of Exchange 2016, in shared/ews-schema; the RequestServerVersion
// reference page says which release each targets).
var (
	versions2010 = []string{"Exchange2007", "Exchange2007_SP1", "Exchange2010", "Exchange2010_SP1", "Exchange2010_SP2"}
	versions2013 = append(append([]string(nil), versions2010...), "Exchange2013", "Exchange2013_SP1")
	versions2016 = append(append([]string(nil), versions2013...), "Exchange2015", "Exchange2016",
		"V2015_10_05", "V2016_01_06", "V2016_04_13", "V2016_07_13", "V2016_10_10")
)

// Profiles are the server profiles, oldest first. The build numbers are
// those of a late cumulative update of each version (modelled: any build
// of the version would do; the simulator does not vary behaviour by
// build). Version strings: "V2_6" for 15.0 is in Microsoft's published
// streaming sample (shared/ews-samples/getstreamingevents-created-newmail-
// modified.xml); the others are modelled on what such servers report.
var Profiles = []*Profile{
	{Name: "exchange2010", Title: "Exchange Server 2010 SP3", Major: 14, Minor: 3, MajorBuild: 123, MinorBuild: 4, Version: "Exchange2010_SP2", Accepts: versions2010},
	{Name: "exchange2013", Title: "Exchange Server 2013 CU23", Major: 15, Minor: 0, MajorBuild: 1497, MinorBuild: 2, Version: "V2_23", Accepts: versions2013, Store13: true},
	{Name: "exchange2016", Title: "Exchange Server 2016 CU23", Major: 15, Minor: 1, MajorBuild: 2507, MinorBuild: 6, Version: "V2017_07_11", Accepts: versions2016, Store13: true},
	{Name: "exchange2019", Title: "Exchange Server 2019 CU14", Major: 15, Minor: 2, MajorBuild: 1118, MinorBuild: 7, Version: "V2017_07_11", Accepts: versions2016, Store13: true},
	{Name: "online", Title: "Exchange Online", Major: 15, Minor: 20, MajorBuild: 8314, MinorBuild: 21, Version: "V2018_01_08", Accepts: versions2016, Store13: true},
}

// DefaultProfile is the profile a simulator runs without one named.
const DefaultProfile = "exchange2019"

// ProfileNames lists the profile names, oldest first.
func ProfileNames() []string {
	out := make([]string, len(Profiles))
	for i, p := range Profiles {
		out[i] = p.Name
	}
	return out
}

// LookupProfile finds a profile by name ("" is the default).
func LookupProfile(name string) (*Profile, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		n = DefaultProfile
	}
	for _, p := range Profiles {
		if p.Name == n {
			return p, nil
		}
	}
	return nil, fmt.Errorf("unknown server profile %q (one of %s)", name, strings.Join(ProfileNames(), ", "))
}

// accepts reports whether the profile knows the RequestServerVersion v.
func (p *Profile) accepts(v string) bool {
	for _, a := range p.Accepts {
		if a == v {
			return true
		}
	}
	return false
}

// versionRank orders RequestServerVersion values; -1 for unknown ones.
func versionRank(v string) int {
	for i, a := range versions2016 {
		if a == v {
			return i
		}
	}
	return -1
}

// sendsUnreadCount reports whether folder ModifiedEvents carry UnreadCount
// for a subscription made at RequestServerVersion v. Modelled: Microsoft's
// published Exchange2013 streaming sample carries it, while captures of
// subscriptions made at version Exchange2010 (against Exchange 2016 and
// Exchange Online) show folder ModifiedEvents without it; UnreadCount
// arrived with Exchange 2010 SP1's schema. ModifiedEvent's reference page
// gives no version, so the line is drawn at Exchange2010_SP1.
func sendsUnreadCount(v string) bool {
	return versionRank(v) >= versionRank("Exchange2010_SP1")
}

// versionInfoAttrs are the ServerVersionInfo attributes.
func (p *Profile) versionInfoAttrs() string {
	return fmt.Sprintf(`MajorVersion="%d" MinorVersion="%d" MajorBuildNumber="%d" MinorBuildNumber="%d" Version="%s"`,
		p.Major, p.Minor, p.MajorBuild, p.MinorBuild, p.Version)
}

// headerXML is the h:ServerVersionInfo header of ordinary responses.
func (p *Profile) headerXML() string {
	return `<h:ServerVersionInfo ` + p.versionInfoAttrs() +
		` xmlns:h="` + ews.NSTypes + `" xmlns="` + ews.NSTypes + `" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>`
}

// streamHeaderXML is the unprefixed ServerVersionInfo of streaming envelopes.
func (p *Profile) streamHeaderXML() string {
	return `<ServerVersionInfo xmlns="` + ews.NSTypes + `" ` + p.versionInfoAttrs() + `/>`
}

// Profile is the profile the simulator runs.
func (s *Server) Profile() *Profile { return s.profile }

// HiddenFolder reports whether a folder id is one of the simulator's folders
// outside the visible tree (Recoverable Items, AllItems, Freebusy Data…).
func (s *Server) HiddenFolder(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.folders[id]
	return f != nil && f.hidden
}
