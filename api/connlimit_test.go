package api

import (
	"bufio"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"hlsorigin/origin"
)

// serveLimited serves fs with Serve (connection limits on) on 127.0.0.1.
func (fs *fixtureServer) serveLimited(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go fs.s.Serve(ln)
	t.Cleanup(func() { fs.s.Shutdown(5 * time.Second) })
	return ln.Addr().String()
}

// dialFrom opens a connection from a loopback source address.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// healthz sends GET /healthz on c and returns the status.
func healthz(t *testing.T, c net.Conn) int {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		return 0
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestConnectionCaps(t *testing.T) {
	fs := newFixtureServerCfgOnly(t, origin.Config{DataDir: t.TempDir()}, Options{AdminToken: testAdmin,
		MaxConns: 6, MaxConnsPerIP: 2, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.9/32")}})
	addr := fs.serveLimited(t)
	a1, a2 := dialFrom(t, "127.0.0.2", addr), dialFrom(t, "127.0.0.2", addr)
	for _, c := range []net.Conn{a1, a2} {
		if st := healthz(t, c); st != 200 {
			t.Fatalf("within the per-address cap: %d", st)
		}
	}
	if st := healthz(t, dialFrom(t, "127.0.0.2", addr)); st != 503 {
		t.Errorf("third connection from one address: %d, want 503", st)
	}
	if st := healthz(t, dialFrom(t, "127.0.0.3", addr)); st != 200 {
		t.Errorf("another address: %d, want 200", st)
	}
	a1.Close()
	waitUntil(t, "a closed connection's slot to come back", func() bool { return healthz(t, dialFrom(t, "127.0.0.2", addr)) == 200 })
	// A trusted proxy carries many clients: no per-address cap, but the
	// total cap holds (6 open: a2, .3, the re-dial, and three from the proxy).
	for i := 0; i < 3; i++ {
		if st := healthz(t, dialFrom(t, "127.0.0.9", addr)); st != 200 {
			t.Fatalf("proxy connection %d: %d, want 200", i, st)
		}
	}
	if st := healthz(t, dialFrom(t, "127.0.0.9", addr)); st != 503 {
		t.Errorf("over the total cap: %d, want 503", st)
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
