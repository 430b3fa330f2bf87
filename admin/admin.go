package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/fleetrpc/fleet/config"
)

// Handler returns the endpoint's handler for rt, to mount on a server of
// the program's own.
func Handler(rt *config.Runtime) http.Handler {
	h := &handler{rt: rt}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /live", func(w http.ResponseWriter, _ *http.Request) { probe(w, true) })
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, _ *http.Request) { probe(w, rt.Ready()) })
	mux.HandleFunc("GET /startup", func(w http.ResponseWriter, _ *http.Request) { probe(w, rt.Started()) })
	mux.HandleFunc("GET /ls", h.ls)
	mux.HandleFunc("POST /offline", func(w http.ResponseWriter, r *http.Request) { h.setOnline(w, r, false) })
	mux.HandleFunc("POST /online", func(w http.ResponseWriter, r *http.Request) { h.setOnline(w, r, true) })
	mux.HandleFunc("GET /snapshot", h.snapshot)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

type handler struct{ rt *config.Runtime }

func probe(w http.ResponseWriter, ok bool) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "false")
		return
	}
	fmt.Fprintln(w, "true")
}

// Listing is the answer of /ls.
type Listing struct {
	Services   []config.ExportState `json:"services"`
	References []ReferenceState     `json:"references"`
}

// ReferenceState is one reference of /ls.
type ReferenceState struct {
	Name       string                 `json:"name"`
	ServiceKey string                 `json:"serviceKey"`
	Consumer   string                 `json:"consumer"`
	Available  bool                   `json:"available"`
	Providers  []config.ProviderState `json:"providers"`
}

func (h *handler) ls(w http.ResponseWriter, _ *http.Request) {
	out := Listing{Services: h.rt.Exports(), References: []ReferenceState{}}
	if out.Services == nil {
		out.Services = []config.ExportState{}
	}
	for _, ref := range h.rt.References() {
		u := ref.Invoker().URL()
		out.References = append(out.References, ReferenceState{
			Name: ref.Name(), ServiceKey: u.ServiceKey(), Consumer: u.String(), Available: ref.Invoker().IsAvailable(),
			Providers: h.rt.Providers(ref),
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// Changed is the answer of /online and /offline.
type Changed struct {
	Changed int `json:"changed"` // provider URLs registered or unregistered
}

func (h *handler) setOnline(w http.ResponseWriter, r *http.Request, online bool) {
	names := r.URL.Query()["service"]
	f := h.rt.Offline
	if online {
		f = h.rt.Online
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	n, err := f(ctx, names...)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, config.ErrNotExported) {
			status = http.StatusNotFound
		}
		writeError(w, status, err)
		return
	}
	writeJSON(w, http.StatusOK, Changed{Changed: n})
}

func (h *handler) snapshot(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("reference")
	if name == "" {
		writeError(w, http.StatusBadRequest, errors.New("admin: snapshot needs ?reference=NAME"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	snap, err := h.rt.Snapshot(ctx, name, r.URL.Query().Get("method"))
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, config.ErrNotReferred) || strings.Contains(err.Error(), "no reference") {
			status = http.StatusNotFound
		}
		writeError(w, status, err)
		return
	}
	writeJSON(w, http.StatusOK, snap)
}

// ErrorBody is the answer of a failed request.
type ErrorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, ErrorBody{Error: err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Server is a running admin endpoint.
type Server struct {
	srv    *http.Server
	ln     net.Listener
	done   chan struct{}
	logger *slog.Logger
}

// Option configures Start and Listen.
type Option func(*options)

type options struct{ logger *slog.Logger }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// Start serves the endpoint of rt where its configuration's dubbo.admin
// says: nothing (nil, nil) without a port; host default 127.0.0.1.
func Start(rt *config.Runtime, opts ...Option) (*Server, error) {
	ac := rt.Config().Admin
	port := strings.TrimSpace(ac.Port)
	if port == "" {
		return nil, nil
	}
	host := strings.TrimSpace(ac.Host)
	if host == "" {
		host = config.DefaultAdminHost
	}
	return Listen(rt, net.JoinHostPort(host, port), opts...)
}

// Listen serves the endpoint of rt on addr.
func Listen(rt *config.Runtime, addr string, opts ...Option) (*Server, error) {
	o := options{logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin: listen %s: %w", addr, err)
	}
	s := &Server{
		srv:    &http.Server{Handler: Handler(rt), ReadHeaderTimeout: 10 * time.Second},
		ln:     ln,
		done:   make(chan struct{}),
		logger: o.logger.With("component", "admin"),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("admin server stopped", "address", ln.Addr().String(), "error", err)
		}
	}()
	s.logger.Info("serving admin", "address", ln.Addr().String())
	return s, nil
}

// Addr is the address the endpoint listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the endpoint, waiting up to 5 s for requests in progress.
// Idempotent.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = s.srv.Close()
	}
	<-s.done
	return err
}
