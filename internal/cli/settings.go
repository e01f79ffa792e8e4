package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"golang.org/x/term"

	"github.com/ewsmon/ewsmon/ews"
	"github.com/ewsmon/ewsmon/ews/sim"
)

// Profile is one named server in the config file, and also the shape of the
// settings that flags and the environment override.
type Profile struct {
	URL           string              `toml:"url"`
	User          string              `toml:"user"`
	Auth          string              `toml:"auth"` // basic | ntlm | bearer
	AnchorMailbox string              `toml:"anchor_mailbox"`
	Impersonate   string              `toml:"impersonate"`
	CAFile        string              `toml:"ca_file"`
	Insecure      bool                `toml:"insecure"`
	PasswordCmd   string              `toml:"password_cmd"`
	TokenCmd      string              `toml:"token_cmd"`
	ServerVersion string              `toml:"server_version"`
	Mode          string              `toml:"mode"`
	Folders       []string            `toml:"folders"`
	Events        []string            `toml:"events"`
	Keys          map[string][]string `toml:"keys"`
}

// FileConfig is $XDG_CONFIG_HOME/ewsmon/config.toml.
type FileConfig struct {
	DefaultProfile string              `toml:"default_profile"`
	Theme          string              `toml:"theme"`
	MaxEvents      int                 `toml:"max_events"`
	ExportDir      string              `toml:"export_dir"`
	Keys           map[string][]string `toml:"keys"`
	Profiles       map[string]Profile  `toml:"profiles"`
}

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
	Keys        map[string][]string
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

// parseDashboardArgs merges flags, environment and the config file. It
// returns flag.ErrHelp for -h/--help (after printing usage to out).
func parseDashboardArgs(args []string, getenv func(string) string, out io.Writer) (Settings, error) {
	fs := flag.NewFlagSet("ewsmon", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned as one line; usage only on --help
	var (
		s            Settings
		foldersFlag  string
		eventsFlag   string
		showVersion  bool
		passwordFlag string
	)
	fs.StringVar(&s.URL, "url", "", "EWS endpoint, e.g. https://mail.example.com/EWS/Exchange.asmx (none: the embedded simulator)")
	fs.StringVar(&s.User, "user", "", `user name: DOMAIN\alice or alice@example.com`)
	fs.StringVar(&s.Auth, "auth", "", "authentication: ntlm, basic or bearer (default ntlm)")
	fs.StringVar(&s.PasswordCmd, "password-cmd", "", "shell command that prints the password (or the bearer token with --auth bearer)")
	fs.StringVar(&s.TokenCmd, "token-cmd", "", "shell command that prints an OAuth bearer token")
	fs.StringVar(&s.AnchorMailbox, "anchor-mailbox", "", "SMTP address for X-AnchorMailbox (default: the user, when it is an address)")
	fs.StringVar(&s.Impersonate, "impersonate", "", "SMTP address to impersonate (ExchangeImpersonation)")
	fs.StringVar(&s.CAFile, "ca-file", "", "PEM file of CA certificates to trust")
	fs.BoolVar(&s.Insecure, "insecure", false, "do not verify the server's TLS certificate (dangerous)")
	fs.StringVar(&s.ServerVersion, "server-version", "", "RequestServerVersion (default Exchange2013)")
	fs.StringVar(&s.Mode, "mode", "", "subscription: streaming or pull (default streaming)")
	fs.StringVar(&foldersFlag, "folders", "", "all, or a comma list of distinguished names / folder ids (default all)")
	fs.StringVar(&eventsFlag, "events", "", "comma list of event types, e.g. NewMail,Created,Moved (default all)")
	fs.StringVar(&s.ProfileName, "profile", "", "profile of the config file to use")
	fs.StringVar(&s.ConfigPath, "config", "", "config file (default $XDG_CONFIG_HOME/ewsmon/config.toml)")
	fs.StringVar(&s.Theme, "theme", "", "colours: auto, dark, light or none (default auto)")
	fs.IntVar(&s.MaxEvents, "max-events", 0, "events kept in memory (default 100000)")
	fs.StringVar(&s.ExportDir, "export-dir", "", "where x writes NDJSON exports (default the current directory)")
	fs.Float64Var(&s.SimRate, "sim-rate", 0.5, "embedded simulator: demo actions per second (0: only the ones you fire)")
	fs.Int64Var(&s.SimSeed, "sim-seed", 0, "embedded simulator: seed for a repeatable demo (0: random)")
	fs.StringVar(&s.SimServer, "sim-server", sim.DefaultProfile, "embedded simulator: the Exchange it imitates ("+strings.Join(sim.ProfileNames(), ", ")+")")
	fs.BoolVar(&showVersion, "version", false, "print the version and exit")
	fs.StringVar(&passwordFlag, "password", "", "not accepted: use EWSMON_PASSWORD, --password-cmd or the prompt")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(out, dashboardUsage)
			printFlagDefaults(fs, out)
			fmt.Fprint(out, dashboardEnvHelp)
			return s, err
		}
		return s, fmt.Errorf("%v (see ewsmon --help)", err)
	}
	if showVersion {
		return s, errVersion
	}
	if passwordFlag != "" {
		return s, errors.New("--password is not accepted (it would show in the process list): use EWSMON_PASSWORD, --password-cmd or the prompt")
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("unexpected argument %q (subcommands are sim, watch and decode)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	// Environment fills what flags left empty.
	envStr := func(dst *string, name string) {
		if *dst == "" {
			*dst = getenv(name)
		}
	}
	envStr(&s.URL, "EWSMON_URL")
	envStr(&s.User, "EWSMON_USER")
	envStr(&s.Auth, "EWSMON_AUTH")
	envStr(&s.ProfileName, "EWSMON_PROFILE")

	// The config file fills what is still empty.
	path := s.ConfigPath
	explicit := path != ""
	if !explicit {
		path = defaultConfigPath(getenv)
	}
	var fc FileConfig
	if path != "" {
		md, err := toml.DecodeFile(path, &fc)
		switch {
		case err == nil:
			s.ConfigPath = path
			if und := md.Undecoded(); len(und) > 0 {
				return s, fmt.Errorf("config %s: unknown setting %q", path, und[0].String())
			}
		case errors.Is(err, os.ErrNotExist) && !explicit:
			// No config file is fine.
		case errors.Is(err, os.ErrNotExist):
			return s, fmt.Errorf("config file %s does not exist", path)
		default:
			return s, fmt.Errorf("config %s: %v", path, oneLine(err.Error()))
		}
	}
	if s.ProfileName == "" {
		s.ProfileName = fc.DefaultProfile
	}
	if s.ProfileName != "" {
		p, ok := fc.Profiles[s.ProfileName]
		if !ok {
			names := make([]string, 0, len(fc.Profiles))
			for n := range fc.Profiles {
				names = append(names, n)
			}
			sort.Strings(names)
			if len(names) == 0 {
				return s, fmt.Errorf("profile %q not found: the config file %s defines no profiles", s.ProfileName, orNone(path))
			}
			return s, fmt.Errorf("profile %q not found in %s (profiles: %s)", s.ProfileName, path, strings.Join(names, ", "))
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
	for k, v := range fc.Keys {
		s.Keys[k] = v
	}
	for k, v := range s.Profile.Keys {
		s.Keys[k] = v
	}
	if set["folders"] {
		s.Folders = splitList(foldersFlag)
	}
	if set["events"] {
		s.Events = splitList(eventsFlag)
	}

	// Defaults and validation. A bad value is named where it came from: a
	// flag, the environment, or the config file.
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
		s.Auth = "ntlm"
	}
	switch s.Auth {
	case "ntlm", "basic", "bearer":
	default:
		return s, fmt.Errorf("%s %q: use ntlm, basic or bearer", origin("auth", "EWSMON_AUTH"), s.Auth)
	}
	if s.Mode == "" {
		s.Mode = "streaming"
	}
	if s.Mode != "streaming" && s.Mode != "pull" {
		return s, fmt.Errorf("%s %q: use streaming or pull", origin("mode", ""), s.Mode)
	}
	if s.Theme == "" {
		s.Theme = "auto"
	}
	switch s.Theme {
	case "auto", "dark", "light", "none":
	default:
		return s, fmt.Errorf("%s %q: use auto, dark, light or none", origin("theme", ""), s.Theme)
	}
	if getenv("NO_COLOR") != "" {
		s.Theme = "none"
	}
	if s.MaxEvents == 0 {
		s.MaxEvents = 100000
	}
	if s.MaxEvents < 0 {
		return s, fmt.Errorf("%s %d: must be positive", origin("max-events", ""), s.MaxEvents)
	}
	if _, err := sim.LookupProfile(s.SimServer); err != nil {
		return s, fmt.Errorf("--sim-server: %v", err)
	}
	if !(s.SimRate >= 0 && s.SimRate <= sim.MaxRate) { // also NaN
		return s, fmt.Errorf("--sim-rate %g: use 0 to %g actions per second", s.SimRate, sim.MaxRate)
	}
	if _, err := watchTargets(s.Folders, s.Events); err != nil {
		return s, err
	}
	if s.URL != "" {
		if !strings.HasPrefix(s.URL, "https://") && !strings.HasPrefix(s.URL, "http://") {
			return s, fmt.Errorf("--url %q: must start with https:// (or http://)", s.URL)
		}
		if s.User == "" && s.Auth != "bearer" {
			return s, errors.New(`--user is needed with --url (DOMAIN\alice or alice@example.com), or set EWSMON_USER`)
		}
	}
	return s, nil
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

var errVersion = errors.New("version requested")

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

// watchTarget is what a subscription watches.
type watchTarget struct {
	Folders    []ews.FolderRef // empty: all folders
	EventTypes []ews.EventType // empty: all seven
}

// watchTargets turns folder and event-type lists into a subscription's
// targets: "all" (or nothing) means all folders / all event types.
func watchTargets(folders, events []string) (watchTarget, error) {
	var wc watchTarget
	for _, f := range folders {
		f = strings.TrimSpace(f)
		switch {
		case f == "" || strings.EqualFold(f, "all"):
			continue
		case isDistinguishedFolder(f):
			wc.Folders = append(wc.Folders, ews.Distinguished(strings.ToLower(f)))
		default:
			wc.Folders = append(wc.Folders, ews.FolderRefOf(ews.FolderId{Id: f}))
		}
	}
	for _, e := range events {
		e = strings.TrimSpace(e)
		if e == "" || strings.EqualFold(e, "all") {
			continue
		}
		t, ok := ews.ParseEventType(e)
		if !ok || t == ews.StatusEvent {
			return wc, fmt.Errorf("unknown event type %q: use NewMail, Created, Deleted, Modified, Moved, Copied or FreeBusyChanged", e)
		}
		wc.EventTypes = append(wc.EventTypes, t)
	}
	return wc, nil
}

// distinguishedFolders are t:DistinguishedFolderIdNameType values that
// people type; anything else is taken as a FolderId.
var distinguishedFolders = []string{
	"calendar", "contacts", "deleteditems", "drafts", "inbox", "journal", "notes", "outbox", "sentitems",
	"tasks", "msgfolderroot", "publicfoldersroot", "root", "junkemail", "searchfolders", "voicemail",
	"recoverableitemsroot", "recoverableitemsdeletions", "archiveinbox", "archivemsgfolderroot",
	"conversationhistory", "syncissues", "quickcontacts", "todosearch",
}

func isDistinguishedFolder(s string) bool {
	for _, d := range distinguishedFolders {
		if strings.EqualFold(s, d) {
			return true
		}
	}
	return false
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// resolveSecret finds the password (basic, ntlm) or bearer token: from the
// environment, then the configured command, then a no-echo prompt on the
// terminal. It never reads a flag value.
func resolveSecret(ctx context.Context, s Settings, getenv func(string) string, tty *os.File, prompt io.Writer) (string, error) {
	envName, cmd, flag := "EWSMON_PASSWORD", s.PasswordCmd, "--password-cmd"
	if s.Auth == "bearer" {
		envName = "EWSMON_TOKEN"
		if s.TokenCmd != "" {
			cmd, flag = s.TokenCmd, "--token-cmd"
		}
	}
	if v := getenv(envName); v != "" {
		return v, nil
	}
	if cmd != "" {
		return runSecretCmd(ctx, cmd, flag)
	}
	if s.Auth == "bearer" {
		return "", errors.New("no bearer token: set EWSMON_TOKEN or --token-cmd")
	}
	if tty == nil || !term.IsTerminal(int(tty.Fd())) {
		return "", errors.New("no password: set EWSMON_PASSWORD or --password-cmd (stdin is not a terminal to prompt on)")
	}
	fmt.Fprintf(prompt, "Password for %s at %s: ", s.User, s.URL)
	b, err := readPassword(ctx, int(tty.Fd()))
	fmt.Fprintln(prompt)
	if err != nil {
		return "", err
	}
	if len(b) == 0 {
		return "", errors.New("no password given")
	}
	return string(b), nil
}

// readPassword reads a line from the terminal without echo. ctrl+c ends it:
// main catches SIGINT (cancelling ctx) so it would not end the blocked read
// by itself; the terminal's echo is restored before returning.
func readPassword(ctx context.Context, fd int) ([]byte, error) {
	saved, _ := term.GetState(fd)
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("reading the password: %v", r.err)
		}
		return r.b, nil
	case <-ctx.Done():
		if saved != nil {
			_ = term.Restore(fd, saved)
		}
		return nil, errors.New("interrupted at the password prompt")
	}
}

// secretCmdTimeout bounds --password-cmd and --token-cmd.
const secretCmdTimeout = 30 * time.Second

// runSecretCmd runs cmd (the setting flag names, "--password-cmd" or
// "--token-cmd") with sh -c and returns its first line of output. A failure
// is one line that shows neither the command's output nor the command: a
// command that fails may have printed the secret (on stdout or stderr), and
// the command line may hold it too ("echo hunter2").
func runSecretCmd(ctx context.Context, cmd, flag string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, secretCmdTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	var stdout bytes.Buffer
	c.Stdout = &stdout
	c.Stderr = io.Discard
	c.Stdin = nil
	if err := c.Run(); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("it did not finish within %s", secretCmdTimeout)
		}
		return "", fmt.Errorf("%s failed: %v (its output is not shown: it may hold the secret)", flag, err)
	}
	line, _, _ := strings.Cut(stdout.String(), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return "", fmt.Errorf("%s printed nothing on its first line", flag)
	}
	return line, nil
}

// cleartextWarning is the warning to print when the credentials would cross
// the network readable by anyone on the path: Basic authentication (or a
// bearer token) over plain http:// to a host that is not this machine. Basic
// sends the user and password only base64-encoded, "in clear text" (RFC 7617
// section 4, https://www.rfc-editor.org/rfc/rfc7617#section-4), and a bearer
// token must only travel over TLS (RFC 6750 section 5.3,
// https://www.rfc-editor.org/rfc/rfc6750#section-5.3). NTLM does not send
// the password. Loopback (127.0.0.0/8, ::1, localhost) stays on the machine:
// no warning. "" when there is nothing to warn about.
func cleartextWarning(rawURL string, auth ews.AuthKind) string {
	what := ""
	switch auth {
	case ews.AuthBasic:
		what = "basic authentication over plain http:// to %s sends the password in clear text"
	case ews.AuthBearer:
		what = "bearer authentication over plain http:// to %s sends the token in clear text"
	default:
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" || loopbackHost(u.Hostname()) {
		return ""
	}
	return fmt.Sprintf(what, u.Host)
}

// loopbackHost reports whether host names this machine's loopback.
func loopbackHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true // RFC 6761 section 6.3: localhost names are loopback
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
