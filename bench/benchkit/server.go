// Package benchkit starts what the in-process benchmark programs measure:
// an origin over a temporary data directory with its HTTP API on
// 127.0.0.1, errors logged only, rate limits off.
package benchkit

import (
	"log/slog"
	"net"
	"os"
	"time"

	"hlsorigin/api"
	"hlsorigin/origin"
)

// AdminToken is the benchmark server's admin token.
const AdminToken = "bench-admin-token-0123456789abcdefgh"

// Server is an origin serving HTTP on a loopback port.
type Server struct {
	O    *origin.Origin
	Base string // http://127.0.0.1:port
	srv  *api.Server
	dir  string
}

// Start opens an origin in a new temporary directory named after name and
// serves its API on a free loopback port.
func Start(name string) (*Server, error) {
	dir, err := os.MkdirTemp("", name)
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	o, err := origin.Open(origin.Config{DataDir: dir, Logger: quiet}, origin.Hooks{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{O: o, dir: dir}
	if s.srv, err = api.New(o, api.Options{AdminToken: AdminToken, Logger: quiet, RateLimits: api.NoRateLimits()}); err != nil {
		s.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return nil, err
	}
	go s.srv.App().Listener(ln)
	s.Base = "http://" + ln.Addr().String()
	return s, nil
}

// Close stops serving, closes the origin and removes its data.
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Shutdown(5 * time.Second)
	}
	s.O.Close()
	os.RemoveAll(s.dir)
}
