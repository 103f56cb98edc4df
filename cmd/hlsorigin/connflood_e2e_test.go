package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// floodConns is how many idle connections the flood opens: well over the
// 1,024 descriptors the binary gets.
const floodConns = 1500

// With NOFILE at 1024, 1,500 idle connections neither stop the process nor
// an ingest PUT already in flight, and /healthz answers once they close:
//   - with the default caps (-max-conns 0: 3/4 of the limit), connections
//     over the cap get a 503 and are closed at accept;
//   - with no cap at all, accept hits EMFILE, which is retried with a
//     backoff instead of ending the server; the process stays up and serves
//     again once the connections close, but the store may then find no
//     descriptor for a new file (the in-flight PUT may fail with 500):
//     that is what the default cap's reserve is for.
func TestConnFloodUnderNoFile1024(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("prlimit not installed (make deps-test installs util-linux)")
		}
		t.Skip("prlimit (util-linux) not installed (make deps-test installs it)")
	}
	for _, tc := range []struct {
		name   string
		flags  []string
		metric string // counter that must have grown
		putOK  bool   // the PUT in flight must succeed
	}{
		{"default caps", nil, `hlsorigin_connections_refused_total{cap="total"}`, true},
		{"no caps, EMFILE", []string{"-max-conns", "-1", "-max-conns-per-ip", "0"}, `hlsorigin_accept_errors_total{error="emfile"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startProcVia(t, []string{prlimit, "--nofile=1024:1024"}, t.TempDir(), tc.flags...)
			testConnFlood(t, p, tc.metric, tc.putOK)
		})
	}
}

func testConnFlood(t *testing.T, p *proc, metric string, putOK bool) {
	addr := strings.TrimPrefix(p.base, "http://")
	var cr channelCreds
	p.mustCall(t, "POST", "/api/v1/channels", adminToken, []byte(`{"id":"flood"}`), 201, &cr)
	cc := newCrashClient(t)
	p.mustCall(t, "PUT", "/ingest/flood/"+cc.m.InitName, cr.StreamKey, cc.m.Init, 201, nil)
	finish := startChunkedPut(t, addr, "/ingest/flood/seg0.m4s", cr.StreamKey, cc.segment(0).body)

	// The flood: idle connections from six loopback addresses (250 each,
	// under the per-address cap), bounded in count and time.
	conns := make([]net.Conn, 0, floodConns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	start := time.Now()
	for i := 0; i < floodConns; i++ {
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%6))}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Logf("dial %d: %v (accept backlog full)", i, err)
			break
		}
		conns = append(conns, c)
	}
	t.Logf("%d idle connections open in %s", len(conns), time.Since(start).Round(time.Millisecond))
	if len(conns) < 1100 {
		t.Fatalf("only %d connections: the flood does not exceed the descriptor limit", len(conns))
	}
	waitUntil(t, 20*time.Second, "the flood to reach the server's limit", func() bool {
		return strings.Contains(p.stderr.String(), "accept failed") || answered503(conns[len(conns)-1])
	})
	t.Logf("flood reached the limit after %s", time.Since(start).Round(time.Millisecond))
	st, body, err := finish()
	if err != nil || st >= 600 || st < 200 || putOK && st != 201 {
		t.Fatalf("ingest PUT in flight during the flood: %d %s %v\n%s", st, body, err, p.stderr.String())
	}
	t.Logf("ingest PUT in flight during the flood: %d %.80s", st, body)
	t.Logf("ingest PUT answered after %s", time.Since(start).Round(time.Millisecond))
	assertRunning(t, p)

	for _, c := range conns {
		c.Close()
	}
	conns = nil
	waitUntil(t, 30*time.Second, "/healthz after the flood", func() bool {
		st, _, err := p.call("GET", "/healthz", "", nil, nil)
		return err == nil && st == 200
	})
	t.Logf("healthz after %s", time.Since(start).Round(time.Millisecond))
	m := string(p.mustCall(t, "GET", "/metrics", "", nil, 200, nil))
	if v := metricValue(m, metric); v <= 0 {
		t.Errorf("%s = %v after the flood, want > 0", metric, v)
	} else {
		t.Logf("%s = %v", metric, v)
	}
	assertRunning(t, p)
}

// startChunkedPut sends the headers and the first half of a chunked PUT and
// waits for 100 Continue (the request is then in flight); finish sends the
// rest and reads the answer.
func startChunkedPut(t *testing.T, addr, path, key string, body []byte) func() (int, string, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(90 * time.Second))
	r := bufio.NewReader(c)
	fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n", path, key)
	if cont, err := http.ReadResponse(r, nil); err != nil || cont.StatusCode != 100 {
		t.Fatalf("PUT %s: want 100 Continue, got %v %v", path, cont, err)
	}
	half := len(body) / 2
	fmt.Fprintf(c, "%x\r\n%s\r\n", half, body[:half])
	return func() (int, string, error) {
		fmt.Fprintf(c, "%x\r\n%s\r\n0\r\n\r\n", len(body)-half, body[half:])
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			return 0, "", err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b), nil
	}
}

// answered503 reports a connection refused at accept with a 503.
func answered503(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	b := make([]byte, 12)
	n, _ := io.ReadFull(c, b)
	return n == 12 && string(b) == "HTTP/1.1 503"
}

func assertRunning(t *testing.T, p *proc) {
	t.Helper()
	select {
	case <-p.done:
		t.Fatalf("hlsorigin exited: %v\n%s", p.err, p.stderr.String())
	default:
	}
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// metricValue is the value of a sample line "name{labels} value" (0 if absent).
func metricValue(text, sample string) float64 {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, sample+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return 0
}
