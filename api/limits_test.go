package api

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawExchange writes a request head, then up to bodyBytes of body in
// chunks (chunked when cl < 0) while reading the answer; it returns the
// status (0 if the connection was reset before an answer) and how many
// body bytes were written before the server answered or closed.
func rawExchange(t *testing.T, addr, head string, cl, bodyBytes int) (int, int) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if cl >= 0 {
		head += fmt.Sprintf("Content-Length: %d\r\n\r\n", cl)
	} else {
		head += "Transfer-Encoding: chunked\r\n\r\n"
	}
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	answered := make(chan int, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	chunk := strings.Repeat("x", 32<<10)
	sent := 0
	for sent < bodyBytes {
		select {
		case st := <-answered:
			return st, sent
		default:
		}
		var err error
		if cl >= 0 {
			_, err = io.WriteString(c, chunk)
		} else {
			_, err = fmt.Fprintf(c, "%x\r\n%s\r\n", len(chunk), chunk)
		}
		if err != nil {
			break
		}
		sent += len(chunk)
	}
	return <-answered, sent
}

// Bodies over a route's limit are refused while reading: a declared
// length before any byte of it, a chunked one as it passes the limit.
func TestBodyLimitsPerRoute(t *testing.T) {
	fs := newFixtureServer(t)
	addr := fs.listen(t)
	big := 33 << 20
	for _, tc := range []struct {
		desc, head string
		cl         int
		want       int
		maxSent    int // body bytes the client got to send before the answer
	}{
		{"declared 33 MB token request", "POST /api/v1/viewers HTTP/1.1\r\nHost: x\r\n", big, 413, 4 << 20},
		{"chunked 33 MB token request", "POST /api/v1/viewers HTTP/1.1\r\nHost: x\r\n", -1, 413, 8 << 20},
		{"chunked 33 MB host PATCH", "PATCH /api/v1/channels/c HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + fs.host + "\r\n", -1, 413, 8 << 20},
		{"declared 20 MB ingest, wrong key", "PUT /ingest/c/seg9.m4s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n", 20 << 20, 401, 8 << 20},
		{"declared over the segment limit, right key", "PUT /ingest/c/seg9.m4s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + fs.key + "\r\n", big, 413, 4 << 20},
	} {
		n := big
		if tc.cl > 0 {
			n = tc.cl
		}
		st, sent := rawExchange(t, addr, tc.head, tc.cl, n)
		if st != tc.want && st != 0 {
			t.Errorf("%s: %d, want %d", tc.desc, st, tc.want)
		}
		if sent > tc.maxSent {
			t.Errorf("%s: the server read %d bytes before answering, want at most %d", tc.desc, sent, tc.maxSent)
		}
		t.Logf("%s: %d after %d body bytes sent", tc.desc, st, sent)
	}
	// JSON a little over the limit, with the right token: 413 JSON.
	long := `{"title":"` + strings.Repeat("a", DefaultMaxJSONBytes) + `"}`
	if st, b := fs.status(t, "PATCH", "/api/v1/channels/c", fs.host, long); st != 413 || !strings.Contains(string(b), `"too_large"`) {
		t.Errorf("PATCH over 8 KiB: %d %s", st, b)
	}
	ch, _ := fs.o.Channel("c")
	if ch.Title() != "cooking" {
		t.Errorf("title changed to %q by a refused body", ch.Title())
	}
}

// A body the handler did not read is never parsed as the next request:
// the connection closes after the answer.
func TestUnreadBodyClosesConnection(t *testing.T) {
	fs := newFixtureServer(t)
	addr := fs.listen(t)
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	smuggled := "GET /api/v1/channels/c HTTP/1.1\r\nHost: x\r\n\r\n"
	fmt.Fprintf(c, "POST /api/v1/channels/c/pause HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\nContent-Length: %d\r\n\r\n%s", len(smuggled), smuggled)
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 && resp.StatusCode != 403 {
		t.Errorf("wrong-token pause: %d", resp.StatusCode)
	}
	if second, err := http.ReadResponse(r, nil); err == nil {
		t.Errorf("the unread body was served as a request: %d", second.StatusCode)
	}
}

func TestStrictJSON(t *testing.T) {
	fs := newFixtureServerWith(t, Options{AdminToken: testAdmin, RateLimits: NoRateLimits()})
	for _, body := range []string{
		`{"title":"a"}{"title":"b"}`,
		`{"title":"a"} x`,
		`[{"title":"a"}]`,
		`null`,
		`{"title":"a","extra":1}`,
		`"title"`,
	} {
		if st, b := fs.status(t, "PATCH", "/api/v1/channels/c", fs.host, body); st != 400 {
			t.Errorf("PATCH %s: %d %s, want 400", body, st, b)
		}
	}
	if st, b := fs.status(t, "PATCH", "/api/v1/channels/c", fs.host, " {\"title\":\"ok\"}\n "); st != 200 {
		t.Errorf("one object with white space: %d %s", st, b)
	}
}

// sseConnect opens an event stream from src and returns the connection
// after the answer's head (status).
func sseConnect(t *testing.T, src, addr, lastID string) (net.Conn, *bufio.Reader, int) {
	t.Helper()
	c := dialFrom(t, src, addr)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	hdr := ""
	if lastID != "" {
		hdr = "Last-Event-ID: " + lastID + "\r\n"
	}
	fmt.Fprintf(c, "GET /api/v1/channels/c/events HTTP/1.1\r\nHost: x\r\n%s\r\n", hdr)
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, r, resp.StatusCode
}

// A stream outlives the read timeout (its watcher reads the connection
// with no deadline) and still gets events.
func TestEventStreamOutlivesReadTimeout(t *testing.T) {
	fs := newFixtureServerWith(t, Options{AdminToken: testAdmin, ReadTimeout: 500 * time.Millisecond})
	addr := fs.listen(t)
	c, r, st := sseConnect(t, "127.0.0.2", addr, "")
	if st != 200 {
		t.Fatalf("event stream: %d", st)
	}
	time.Sleep(1500 * time.Millisecond)
	ch, _ := fs.o.Channel("c")
	ch.Emit("title", map[string]string{"title": "late"})
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended after the read timeout: %v", err)
		}
		if strings.Contains(line, `"late"`) {
			return
		}
	}
}

func TestEventStreamCapsAndReplayBound(t *testing.T) {
	fs := newFixtureServerWith(t, Options{AdminToken: testAdmin, MaxEventStreams: 5, MaxEventStreamsPerIP: 3})
	addr := fs.listen(t)
	ch, _ := fs.o.Channel("c")
	for i := 0; i < 1000; i++ { // ~300 kB of events
		ch.Emit("chat", map[string]string{"text": strings.Repeat("z", 280)})
	}
	// The replay of Last-Event-ID: 1 is bounded; it starts with a sync.
	c, r, st := sseConnect(t, "127.0.0.2", addr, "1")
	if st != 200 {
		t.Fatalf("event stream: %d", st)
	}
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	got, _ := io.ReadAll(r)
	if len(got) > DefaultMaxReplayBytes+8<<10 || !strings.Contains(string(got), "event: sync") || !strings.Contains(string(got), "event: chat") {
		t.Errorf("replay of Last-Event-ID 1: %d bytes (bound %d), sync %v", len(got), DefaultMaxReplayBytes, strings.Contains(string(got), "event: sync"))
	}
	t.Logf("replay of Last-Event-ID 1: %d bytes", len(got))
	c.Close()
	waitUntil(t, "the dropped stream's subscription to go", func() bool { return ch.Subscribers() == 0 })

	// Per address: 3, then 429; in total: 5, then 503.
	for i := 0; i < 3; i++ {
		if _, _, st := sseConnect(t, "127.0.0.3", addr, ""); st != 200 {
			t.Fatalf("stream %d from one address: %d", i, st)
		}
	}
	if _, _, st := sseConnect(t, "127.0.0.3", addr, ""); st != 429 {
		t.Errorf("4th stream from one address: %d, want 429", st)
	}
	var held []net.Conn
	for i := 0; i < 2; i++ {
		c, _, st := sseConnect(t, "127.0.0.4", addr, "")
		if st != 200 {
			t.Fatalf("stream from another address: %d", st)
		}
		held = append(held, c)
	}
	if _, _, st := sseConnect(t, "127.0.0.5", addr, ""); st != 503 {
		t.Errorf("6th stream in total: %d, want 503", st)
	}
	// Dropped at once on disconnect, not at the next keep-alive.
	for _, c := range held {
		c.Close()
	}
	start := time.Now()
	waitUntil(t, "subscriptions of closed streams to go", func() bool { return ch.Subscribers() == 3 })
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("subscriptions dropped %s after the close", d)
	}
	if _, _, st := sseConnect(t, "127.0.0.5", addr, ""); st != 200 {
		t.Errorf("a stream after others closed: %d", st)
	}
}
