package sim

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ewsmon/ewsmon/ews"
)

// AuthConfig selects how the simulator authenticates requests to the EWS
// endpoint. Mode is "none" (or ""), "basic" or "ntlm".
type AuthConfig struct {
	Mode                   string
	User, Password, Domain string
}

// DefaultMailbox is the simulated mailbox when Config names none.
const DefaultMailbox = "alice@example.com"

// Config configures a simulator. The zero value is usable.
type Config struct {
	Mailboxes         []string      // default [DefaultMailbox]
	Auth              AuthConfig    // default no authentication
	Clock             ews.Clock     // default ews.RealClock{}
	HeartbeatInterval time.Duration // streaming OK heartbeats while idle; default 30s
	StreamingExpiry   time.Duration // a streaming subscription with no connection expires after this; default 30m
	Rate              float64       // activity generator, actions per second; 0 off
	Seed              int64         // repeatable activity and mailbox content; 0: a random seed
	Log               io.Writer     // one line per request; nil: silent
	PushClient        *http.Client  // for SendNotification; default a plain client with a 30s timeout
	// Server is the profile: exchange2010, exchange2013, exchange2016,
	// exchange2019 or online (default exchange2019; see Profiles).
	Server string

	// MaxSubscriptions is how many live subscriptions one mailbox may have
	// before Subscribe answers ErrorExceededSubscriptionCount; default 1000
	// (Exchange's default is 20 per user; the simulator is more generous
	// so that benchmarks can open many).
	MaxSubscriptions int
	// PushMinute is how long one minute of a push subscription's
	// StatusFrequency lasts here (default a minute): shorter compresses
	// the StatusEvent schedule and the retry schedule of a failing
	// listener alike, so a demo or a transport comparison shows push's
	// keep-alive cost within seconds. Modelled: Exchange counts real
	// minutes.
	PushMinute time.Duration
	// MaxConnections is how many streaming connections may be open at once
	// before GetStreamingEvents answers ErrorExceededConnectionCount;
	// default 1000.
	MaxConnections int
}

// pushMinute is Config.PushMinute with its default.
func (s *Server) pushMinute() time.Duration {
	if s.cfg.PushMinute > 0 {
		return s.cfg.PushMinute
	}
	return time.Minute
}

// Server is the simulator. It is an http.Handler serving POST
// /EWS/Exchange.asmx (EWS) and POST /sim/actions (the control API).
type Server struct {
	cfg   Config
	clock ews.Clock
	ntlm  *ntlmServer

	ctx    context.Context // ends on Close: streaming handlers, push workers, generator
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	mailboxes  []*mailbox
	byAddr     map[string]*mailbox
	folders    map[string]*folder
	items      map[string]*item
	subs       map[string]*subscription
	gone       map[string]string // expired subscription id -> error code
	idCounter  uint64
	subCount   uint64
	salt       [8]byte
	run        [4]byte // random per process even with a seed: names this run's event history and sync states
	rng        *rand.Rand
	conns      int
	streams    map[*streamConn]bool // open GetStreamingEvents connections
	journalMax int                  // per mailbox; maxJournal, lowered by tests
	closing    bool                 // set by Close; no new goroutines after it
	names      int                  // counter for generated folder names

	rate     float64
	rateWake chan struct{}
	genOn    bool

	faults  *Faults
	profile *Profile

	srv    *http.Server
	ln     net.Listener
	url    string
	closed sync.Once
	logMu  sync.Mutex
}

// New builds a simulator without listening; serve it with your own
// http.Server or httptest, and Close it when done.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	profile, err := LookupProfile(cfg.Server)
	if err != nil {
		return nil, err
	}
	cfg.Server = profile.Name
	if err := cfg.checkRateAndAuth(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		clock:    cfg.Clock,
		profile:  profile,
		byAddr:   map[string]*mailbox{},
		folders:  map[string]*folder{},
		items:    map[string]*item{},
		subs:     map[string]*subscription{},
		gone:     map[string]string{},
		streams:  map[*streamConn]bool{},
		rng:      rand.New(rand.NewPCG(cfg.seed(), 0x65776d6f6e73696d)),
		rateWake: make(chan struct{}, 1),

		journalMax: maxJournal,
	}
	// The salt keeps ids of different server runs apart; with a seed, ids
	// repeat run to run like everything else.
	if cfg.Seed != 0 {
		for i := range s.salt {
			s.salt[i] = byte(s.rng.Uint32())
		}
	} else {
		_, _ = crand.Read(s.salt[:])
	}
	_, _ = crand.Read(s.run[:])
	s.faults = &Faults{s: s}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if cfg.Auth.Mode == "ntlm" {
		s.ntlm = newNTLMServer(cfg.Auth.User, cfg.Auth.Password, cfg.Auth.Domain)
	}
	if err := s.addMailboxes(cfg.Mailboxes); err != nil {
		s.cancel()
		return nil, err
	}
	s.SetActivity(cfg.Rate)
	return s, nil
}

// withDefaults fills what the Config leaves zero.
func (cfg Config) withDefaults() Config {
	if len(cfg.Mailboxes) == 0 {
		cfg.Mailboxes = []string{DefaultMailbox}
	}
	if cfg.Clock == nil {
		cfg.Clock = ews.RealClock{}
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 30 * time.Second
	}
	if cfg.StreamingExpiry <= 0 {
		cfg.StreamingExpiry = 30 * time.Minute
	}
	if cfg.PushClient == nil {
		cfg.PushClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.MaxSubscriptions <= 0 {
		cfg.MaxSubscriptions = 1000
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 1000
	}
	if cfg.Auth.Mode == "" {
		cfg.Auth.Mode = "none"
	}
	return cfg
}

// checkRateAndAuth refuses a negative activity rate and an auth mode that
// is unknown or lacks its user.
func (cfg Config) checkRateAndAuth() error {
	if cfg.Rate < 0 {
		return fmt.Errorf("activity rate must not be negative, got %v", cfg.Rate)
	}
	switch cfg.Auth.Mode {
	case "none":
	case "basic", "ntlm":
		if cfg.Auth.User == "" {
			return fmt.Errorf("auth %s needs a user", cfg.Auth.Mode)
		}
	default:
		return fmt.Errorf("unknown auth mode %q (want none, basic or ntlm)", cfg.Auth.Mode)
	}
	return nil
}

// seed is the Config's seed, or a random one when it has none.
func (cfg Config) seed() uint64 {
	if cfg.Seed != 0 {
		return uint64(cfg.Seed)
	}
	var b [8]byte
	_, _ = crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// addMailboxes makes the mailboxes, refusing an address without '@' or one
// listed twice.
func (s *Server) addMailboxes(addrs []string) error {
	for i, addr := range addrs {
		addr = strings.TrimSpace(addr)
		if !strings.Contains(addr, "@") {
			return fmt.Errorf("mailbox %q is not an SMTP address", addr)
		}
		key := strings.ToLower(addr)
		if s.byAddr[key] != nil {
			return fmt.Errorf("mailbox %q is listed twice", addr)
		}
		mb := s.newMailbox(i, addr)
		s.mailboxes = append(s.mailboxes, mb)
		s.byAddr[key] = mb
	}
	return nil
}

// Start builds a simulator and serves it on addr (e.g. "127.0.0.1:0") until
// ctx ends or Close is called.
func Start(ctx context.Context, cfg Config, addr string) (*Server, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("simulator: listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String() + "/EWS/Exchange.asmx"
	errLog := io.Discard
	if cfg.Log != nil {
		errLog = &lockedWriter{mu: &s.logMu, w: cfg.Log}
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       5 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
		ErrorLog:          log.New(errLog, "sim: http: ", 0),
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln)
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-ctx.Done():
			go s.Close()
		case <-s.ctx.Done():
		}
	}()
	return s, nil
}

// URL is the EWS endpoint, "http://127.0.0.1:PORT/EWS/Exchange.asmx", after
// Start; "" for a server made with New.
func (s *Server) URL() string { return s.url }

// Close stops serving, ends open streams, push deliveries and the activity
// generator, and waits for them.
func (s *Server) Close() error {
	var err error
	s.closed.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		s.cancel()
		if s.srv != nil {
			err = s.srv.Close()
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
		}
		s.wg.Wait()
	})
	return err
}

// Faults returns the fault knobs.
func (s *Server) Faults() *Faults { return s.faults }

// ServeHTTP routes the EWS endpoint and the control API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	var op, user string
	defer func() {
		if s.cfg.Log != nil {
			if op == "" {
				op = "-"
			}
			if user == "" {
				user = "-"
			}
			s.logMu.Lock()
			fmt.Fprintf(s.cfg.Log, "%s %s %s %s %s %d %s\n", time.Now().UTC().Format("15:04:05.000"), r.RemoteAddr, r.Method, r.URL.Path, op+" "+user, rec.status, time.Since(start).Round(time.Millisecond))
			s.logMu.Unlock()
		}
	}()
	switch {
	case strings.EqualFold(r.URL.Path, "/EWS/Exchange.asmx"):
		op, user = s.serveEWS(rec, r)
	case r.URL.Path == "/sim/actions":
		op = "actions"
		s.serveActions(rec, r)
	case r.URL.Path == "/sim/faults":
		op = "faults"
		s.serveFaults(rec, r)
	default:
		http.NotFound(rec, r)
	}
}

// statusRecorder remembers the status for the log and keeps Flush working.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status = code
		r.wrote = true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// authenticate checks the request's credentials. On failure it has written
// the 401 with the right WWW-Authenticate header.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	switch s.cfg.Auth.Mode {
	case "basic":
		u, p, ok := r.BasicAuth()
		if ok && sameUser(u, s.cfg.Auth.User, s.cfg.Auth.Domain) && p == s.cfg.Auth.Password {
			return u, true
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="ewsmon-sim"`)
		http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
		return "", false
	case "ntlm":
		return s.ntlm.authenticate(w, r)
	}
	return "", true
}

// sameUser accepts "alice", "DOMAIN\alice" and "alice@domain" for user alice.
func sameUser(given, user, domain string) bool {
	g := strings.ToLower(given)
	u := strings.ToLower(user)
	if g == u {
		return true
	}
	if i := strings.LastIndexByte(g, '\\'); i >= 0 {
		if domain != "" && !strings.EqualFold(g[:i], domain) {
			return false
		}
		g = g[i+1:]
	} else if i := strings.IndexByte(g, '@'); i >= 0 && !strings.Contains(u, "@") {
		g = g[:i]
	}
	if i := strings.LastIndexByte(u, '\\'); i >= 0 {
		u = u[i+1:]
	}
	return g == u
}

// mailboxForUser maps an authenticated user name to a mailbox, or nil.
func (s *Server) mailboxForUser(user string) *mailbox {
	if user == "" {
		return nil
	}
	u := strings.ToLower(user)
	if i := strings.LastIndexByte(u, '\\'); i >= 0 {
		u = u[i+1:]
	}
	if mb := s.byAddr[u]; mb != nil {
		return mb
	}
	for _, mb := range s.mailboxes {
		local := strings.ToLower(mb.smtp)
		if i := strings.IndexByte(local, '@'); i >= 0 {
			local = local[:i]
		}
		if local == u {
			return mb
		}
	}
	return nil
}

// lockedWriter serialises the HTTP server's error log with the request log.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
