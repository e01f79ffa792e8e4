package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
	"github.com/ewsmon/ewsmon/keymap"
)

// Profile is one named server in the config file, and also the shape of the
// settings that flags and the environment override.
type Profile struct {
	URL           string                `toml:"url"`
	User          string                `toml:"user"`
	Auth          string                `toml:"auth"` // basic | ntlm | bearer
	AnchorMailbox string                `toml:"anchor_mailbox"`
	Impersonate   string                `toml:"impersonate"`
	CAFile        string                `toml:"ca_file"`
	Insecure      bool                  `toml:"insecure"`
	PasswordCmd   string                `toml:"password_cmd"`
	TokenCmd      string                `toml:"token_cmd"`
	ServerVersion string                `toml:"server_version"`
	Mode          string                `toml:"mode"`
	Folders       stringList            `toml:"folders"`
	Events        stringList            `toml:"events"`
	Keys          map[string]stringList `toml:"keys"`
}

// FileConfig is $XDG_CONFIG_HOME/ewsmon/config.toml.
type FileConfig struct {
	DefaultProfile string                `toml:"default_profile"`
	Theme          string                `toml:"theme"`
	MaxEvents      int                   `toml:"max_events"`
	ExportDir      string                `toml:"export_dir"`
	Keys           map[string]stringList `toml:"keys"`
	Profiles       map[string]Profile    `toml:"profiles"`
}

// stringList is a list setting of the config file. One string where a
// list belongs (`pause = "p"`) is a list of one: the mistake is common and
// its meaning plain.
type stringList []string

// UnmarshalTOML implements toml.Unmarshaler.
func (l *stringList) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*l = stringList{v}
		return nil
	case []any:
		out := make(stringList, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return errNotAList
			}
			out = append(out, s)
		}
		*l = out
		return nil
	}
	return errNotAList
}

var errNotAList = errors.New(`want a string or a list of strings, like ["p"] or ["inbox", "calendar"]`)

// Settings is everything the dashboard needs, after flags, environment,
// config file and defaults have been merged (in that order of precedence).
type Settings struct {
	Profile
	ProfileName string
	ConfigPath  string
	Theme       string // auto | dark | light | none
	MaxEvents   int
	ExportDir   string
	SimRate     float64
	SimSeed     int64
	SimServer   string
	// SimPushMinute: how long a minute of push StatusFrequency lasts on
	// the embedded simulator (sim.Config.PushMinute).
	SimPushMinute time.Duration
	// Poll: the time between GetEvents calls of pull (0: the runner's
	// default).
	Poll time.Duration
	// Push: the listener for push subscriptions (flags only).
	Push            ews.PushListenerConfig
	StatusFrequency int
	// Compare: streaming, pull and push side by side (flags only).
	Compare bool
	Keys    map[string][]string
	// Password or bearer token, resolved by resolveSecret (never from a flag).
	Secret string
}

// UseSimulator reports whether no server was configured, so the embedded
// simulator is started.
func (s Settings) UseSimulator() bool { return s.URL == "" }

// defaultConfigPath is $XDG_CONFIG_HOME/ewsmon/config.toml (or ~/.config/...).
func defaultConfigPath(getenv func(string) string) string {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "ewsmon", "config.toml")
}

const dashboardUsage = `ewsmon — watch an Exchange mailbox live through EWS notifications

Usage:
  ewsmon [flags]                     the dashboard (no --url: on the embedded simulator)
  ewsmon sim [--listen ADDR] ...     run the simulator as a standalone EWS server
  ewsmon watch --json ...            headless: one JSON object per event on stdout
  ewsmon decode FILE...              decode saved EWS XML into JSON events (- for stdin)
  ewsmon --version

Dashboard flags:
`

const dashboardEnvHelp = `
Environment:
  EWSMON_URL, EWSMON_USER, EWSMON_AUTH, EWSMON_PROFILE   as the flags of the same name
  EWSMON_PASSWORD        the password (basic, ntlm); otherwise --password-cmd or a no-echo prompt
  EWSMON_TOKEN           the OAuth bearer token (auth bearer); otherwise --token-cmd
  NO_COLOR               any value: no colours
  XDG_CONFIG_HOME        where config.toml is looked for ($XDG_CONFIG_HOME/ewsmon/config.toml)

Config file (TOML), e.g.:
  default_profile = "work"
  theme = "auto"              # auto | dark | light | none
  max_events = 100000
  [keys]                      # key overrides: action = ["keys", ...]; see docs/keys.md
  quit = ["q", "ctrl+q"]
  [profiles.work]
  url = "https://mail.example.com/EWS/Exchange.asmx"
  user = 'CORP\alice'
  auth = "ntlm"               # basic | ntlm | bearer
  anchor_mailbox = "alice@example.com"
  impersonate = ""            # SMTP address for ExchangeImpersonation
  ca_file = "/etc/ssl/certs/corp-ca.pem"
  password_cmd = "pass show exchange/alice"
  mode = "streaming"          # streaming | pull
  folders = ["all"]           # or distinguished names / folder ids: ["inbox", "calendar"]

Precedence: flags, then environment, then the chosen profile, then defaults.
Passwords are never taken from a flag value.
`

// dashboardFlags are the flags whose values do not go straight into
// Settings.
type dashboardFlags struct {
	folders, events string
	version         bool
	password        string
	set             map[string]bool // the flags given
}

// newDashboardFlagSet declares the dashboard's flags, writing into s and f.
func newDashboardFlagSet(s *Settings, f *dashboardFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("ewsmon", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned as one line; usage only on --help
	fs.Usage = func() {}
	fs.StringVar(&s.URL, "url", "", "EWS endpoint, e.g. https://mail.example.com/EWS/Exchange.asmx (none: the embedded simulator)")
	fs.StringVar(&s.User, "user", "", `user name: DOMAIN\alice or alice@example.com`)
	fs.StringVar(&s.Auth, "auth", "", "authentication: ntlm, basic or bearer (default "+string(defaultAuth)+")")
	fs.StringVar(&s.PasswordCmd, "password-cmd", "", "shell command that prints the password (or the bearer token with --auth bearer)")
	fs.StringVar(&s.TokenCmd, "token-cmd", "", "shell command that prints an OAuth bearer token")
	fs.StringVar(&s.AnchorMailbox, "anchor-mailbox", "", "SMTP address for X-AnchorMailbox (default: the user, when it is an address)")
	fs.StringVar(&s.Impersonate, "impersonate", "", "SMTP address to impersonate (ExchangeImpersonation)")
	fs.StringVar(&s.CAFile, "ca-file", "", "PEM file of CA certificates to trust")
	fs.BoolVar(&s.Insecure, "insecure", false, "do not verify the server's TLS certificate (dangerous)")
	fs.StringVar(&s.ServerVersion, "server-version", "", "RequestServerVersion (default Exchange2013)")
	fs.StringVar(&s.Mode, "mode", "", "subscription: streaming, pull or push (default "+defaultMode+")")
	fs.StringVar(&s.Push.Listen, "push-listen", "", "push: where the listener for the server's notifications listens (default 127.0.0.1 and a free port)")
	fs.StringVar(&s.Push.PublicURL, "push-url", "", "push: the base URL the server reaches the listener at, when it differs (NAT, reverse proxy)")
	fs.StringVar(&s.Push.CertFile, "push-cert", "", "push: TLS certificate (PEM) for the listener")
	fs.StringVar(&s.Push.KeyFile, "push-key", "", "push: TLS key (PEM) for the listener")
	fs.IntVar(&s.StatusFrequency, "status-frequency", 0, "push: minutes between the server's StatusEvents when idle (1..1440, default 1)")
	fs.BoolVar(&s.Compare, "compare", false, "compare streaming, pull and push on the same folders at once (instead of --mode)")
	fs.DurationVar(&s.Poll, "poll", 0, "pull: time between GetEvents calls (default 5s)")
	fs.StringVar(&f.folders, "folders", "", "all, or a comma list of distinguished names / folder ids (default all)")
	fs.StringVar(&f.events, "events", "", "comma list of event types, e.g. NewMail,Created,Moved (default all)")
	fs.StringVar(&s.ProfileName, "profile", "", "profile of the config file to use")
	fs.StringVar(&s.ConfigPath, "config", "", "config file (default $XDG_CONFIG_HOME/ewsmon/config.toml)")
	fs.StringVar(&s.Theme, "theme", "", "colours: auto, dark, light or none (default "+defaultTheme+")")
	fs.IntVar(&s.MaxEvents, "max-events", 0, fmt.Sprintf("events kept in memory (default %d)", defaultMaxEvents))
	fs.StringVar(&s.ExportDir, "export-dir", "", "where x writes NDJSON exports (default the current directory)")
	fs.Float64Var(&s.SimRate, "sim-rate", dashboardSimRate, "embedded simulator: demo actions per second (0: only the ones you fire)")
	fs.Int64Var(&s.SimSeed, "sim-seed", 0, "embedded simulator: seed for a repeatable demo (0: random)")
	fs.StringVar(&s.SimServer, "sim-server", sim.DefaultProfile, "embedded simulator: the Exchange it imitates ("+strings.Join(sim.ProfileNames(), ", ")+")")
	fs.DurationVar(&s.SimPushMinute, "sim-push-minute", time.Minute, "embedded simulator: how long a minute of push StatusFrequency lasts (1s..1m), so push's keep-alives show within seconds")
	fs.BoolVar(&f.version, "version", false, "print the version and exit")
	fs.StringVar(&f.password, "password", "", "not accepted: use EWSMON_PASSWORD, --password-cmd or the prompt")
	return fs
}

// parseDashboardArgs merges flags, environment and the config file, then
// fills in defaults and checks the result. It returns flag.ErrHelp for
// -h/--help (after printing usage to out), errVersion for --version.
func parseDashboardArgs(args []string, getenv func(string) string, out io.Writer) (Settings, error) {
	var (
		s Settings
		f dashboardFlags
	)
	if err := parseDashboardFlags(&s, &f, args, out); err != nil {
		return s, err
	}
	applyEnv(&s, getenv)
	fc, err := loadConfigFile(&s, getenv)
	if err != nil {
		return s, err
	}
	if err := applyConfig(&s, fc); err != nil {
		return s, err
	}
	if f.set["folders"] {
		s.Folders = splitList(f.folders)
	}
	if f.set["events"] {
		s.Events = splitList(f.events)
	}
	if err := settle(&s, f.set, getenv); err != nil {
		return s, err
	}
	return s, nil
}

// parseDashboardFlags parses the command line into s and f.
func parseDashboardFlags(s *Settings, f *dashboardFlags, args []string, out io.Writer) error {
	fs := newDashboardFlagSet(s, f)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(out, dashboardUsage)
			printFlagDefaults(fs, out)
			fmt.Fprint(out, dashboardEnvHelp)
			return err
		}
		return fmt.Errorf("%v (see ewsmon --help)", err)
	}
	switch {
	case f.version:
		return errVersion
	case f.password != "":
		return errors.New("--password is not accepted (it would show in the process list): use EWSMON_PASSWORD, --password-cmd or the prompt")
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q (subcommands are sim, watch and decode)", fs.Arg(0))
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	return nil
}

// applyEnv fills what the flags left empty from the environment.
func applyEnv(s *Settings, getenv func(string) string) {
	for _, e := range []struct {
		dst  *string
		name string
	}{{&s.URL, "EWSMON_URL"}, {&s.User, "EWSMON_USER"}, {&s.Auth, "EWSMON_AUTH"}, {&s.ProfileName, "EWSMON_PROFILE"}} {
		if *e.dst == "" {
			*e.dst = getenv(e.name)
		}
	}
}

// loadConfigFile reads the config file: --config, or the default path
// (which may be missing). s.ConfigPath is set to the file read.
func loadConfigFile(s *Settings, getenv func(string) string) (FileConfig, error) {
	var fc FileConfig
	path := s.ConfigPath
	explicit := path != ""
	if !explicit {
		path = defaultConfigPath(getenv)
	}
	if path == "" {
		return fc, nil
	}
	md, err := toml.DecodeFile(path, &fc)
	switch {
	case err == nil:
		s.ConfigPath = path
		if und := md.Undecoded(); len(und) > 0 {
			return fc, fmt.Errorf("config %s: unknown setting %q", path, und[0].String())
		}
		return fc, nil
	case errors.Is(err, os.ErrNotExist) && !explicit:
		return fc, nil // no config file is fine
	case errors.Is(err, os.ErrNotExist):
		return fc, fmt.Errorf("config file %s does not exist", path)
	}
	return fc, fmt.Errorf("config %s: %v", path, oneLine(err.Error()))
}

// applyConfig fills what flags and environment left empty from the config
// file and its chosen profile, and checks the key names of both.
func applyConfig(s *Settings, fc FileConfig) error {
	if s.ProfileName == "" {
		s.ProfileName = fc.DefaultProfile
	}
	if s.ProfileName != "" {
		p, ok := fc.Profiles[s.ProfileName]
		if !ok {
			return unknownProfile(s.ProfileName, s.ConfigPath, fc)
		}
		mergeProfile(&s.Profile, p)
	}
	if s.Theme == "" {
		s.Theme = fc.Theme
	}
	if s.MaxEvents == 0 {
		s.MaxEvents = fc.MaxEvents
	}
	if s.ExportDir == "" {
		s.ExportDir = fc.ExportDir
	}
	s.Keys = map[string][]string{}
	for _, km := range []map[string]stringList{fc.Keys, s.Profile.Keys} { // the profile's win
		for k, v := range km {
			s.Keys[k] = v
		}
	}
	return checkKeyNames(s.Keys, s.ConfigPath)
}

// unknownProfile is the error for a profile the config file does not define.
func unknownProfile(name, path string, fc FileConfig) error {
	names := make([]string, 0, len(fc.Profiles))
	for n := range fc.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return fmt.Errorf("profile %q not found: the config file %s defines no profiles", name, orNone(path))
	}
	return fmt.Errorf("profile %q not found in %s (profiles: %s)", name, path, strings.Join(names, ", "))
}

// keyNamesHelp says what a key name is (docs/keys.md says the same).
const keyNamesHelp = "a key name is one character as typed (q, G for shift+g, ?), or space, enter, esc, tab, " +
	"backspace, delete, insert, up, down, left, right, pgup, pgdown, home, end, f1 to f63, " +
	"each with ctrl+, alt+ or shift+ in front if wanted (ctrl+x, alt+enter, shift+tab); see docs/keys.md"

// checkKeyNames refuses a key the dashboard could never receive ("spce"):
// the binding would silently never fire.
func checkKeyNames(keys map[string][]string, path string) error {
	actions := make([]string, 0, len(keys))
	for a := range keys {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	for _, a := range actions {
		for _, k := range keys[a] {
			if strings.TrimSpace(k) != "" && !keymap.ValidKey(k) {
				return fmt.Errorf("config %s: keys: %s: %q is not a key name: %s", orNone(path), a, k, keyNamesHelp)
			}
		}
	}
	return nil
}

// printFlagDefaults is fs.PrintDefaults with the GNU-style "--" people type.
func printFlagDefaults(fs *flag.FlagSet, out io.Writer) {
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	text := strings.ReplaceAll("\n"+b.String(), "\n  -", "\n  --")
	fmt.Fprint(out, text[1:])
}

// mergeProfile copies p's values into dst where dst has none.
func mergeProfile(dst *Profile, p Profile) {
	str := func(d *string, v string) {
		if *d == "" {
			*d = v
		}
	}
	str(&dst.URL, p.URL)
	str(&dst.User, p.User)
	str(&dst.Auth, p.Auth)
	str(&dst.AnchorMailbox, p.AnchorMailbox)
	str(&dst.Impersonate, p.Impersonate)
	str(&dst.CAFile, p.CAFile)
	str(&dst.PasswordCmd, p.PasswordCmd)
	str(&dst.TokenCmd, p.TokenCmd)
	str(&dst.ServerVersion, p.ServerVersion)
	str(&dst.Mode, p.Mode)
	if !dst.Insecure {
		dst.Insecure = p.Insecure
	}
	if dst.Folders == nil {
		dst.Folders = p.Folders
	}
	if dst.Events == nil {
		dst.Events = p.Events
	}
	dst.Keys = p.Keys
}

// settle fills in the defaults and checks every setting. A bad value is
// named where it came from: a flag (set), the environment, or the config
// file.
func settle(s *Settings, set map[string]bool, getenv func(string) string) error {
	origin := func(flagName, env string) string {
		switch {
		case set[flagName]:
			return "--" + flagName
		case env != "" && getenv(env) != "":
			return env
		case s.ConfigPath != "":
			return "config " + s.ConfigPath + ": " + strings.ReplaceAll(flagName, "-", "_")
		}
		return "--" + flagName
	}
	if s.Auth == "" {
		s.Auth = string(defaultAuth)
	}
	if s.Mode == "" {
		s.Mode = defaultMode
	}
	if s.Theme == "" {
		s.Theme = defaultTheme
	}
	if s.MaxEvents == 0 {
		s.MaxEvents = defaultMaxEvents
	}
	switch {
	case !oneOf(s.Auth, "ntlm", "basic", "bearer"):
		return fmt.Errorf("%s %q: use ntlm, basic or bearer", origin("auth", "EWSMON_AUTH"), s.Auth)
	case !oneOf(s.Mode, "streaming", "pull", "push"):
		return fmt.Errorf("%s %q: use streaming, pull or push", origin("mode", ""), s.Mode)
	case s.Compare && set["mode"]:
		return fmt.Errorf("--compare runs streaming, pull and push at once: leave out --mode %s", s.Mode)
	case s.StatusFrequency != 0 && (s.StatusFrequency < 1 || s.StatusFrequency > 1440):
		return fmt.Errorf("--status-frequency %d: use 1 to 1440 minutes", s.StatusFrequency)
	case !oneOf(s.Theme, "auto", "dark", "light", "none"):
		return fmt.Errorf("%s %q: use auto, dark, light or none", origin("theme", ""), s.Theme)
	case s.MaxEvents < 0:
		return fmt.Errorf("%s %d: must be positive", origin("max-events", ""), s.MaxEvents)
	}
	if getenv("NO_COLOR") != "" {
		s.Theme = "none"
	}
	if err := checkSimServer("--sim-server", s.SimServer); err != nil {
		return err
	}
	if err := checkSimRate("--sim-rate", s.SimRate); err != nil {
		return err
	}
	if err := checkSimPushMinute(s.SimPushMinute); err != nil {
		return err
	}
	if err := checkPoll(s.Poll); err != nil {
		return err
	}
	if _, err := watchTargets(s.Folders, s.Events); err != nil {
		return err
	}
	return checkServer(s)
}

// checkServer checks the URL and the user of a real server.
func checkServer(s *Settings) error {
	if s.URL == "" {
		return nil
	}
	if !strings.HasPrefix(s.URL, "https://") && !strings.HasPrefix(s.URL, "http://") {
		return fmt.Errorf("--url %q: must start with https:// (or http://)", s.URL)
	}
	if s.User == "" && s.Auth != "bearer" {
		return errors.New(`--user is needed with --url (DOMAIN\alice or alice@example.com), or set EWSMON_USER`)
	}
	return nil
}

func oneOf(s string, allowed ...string) bool { return slices.Contains(allowed, s) }
