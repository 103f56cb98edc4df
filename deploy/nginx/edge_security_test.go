package nginx

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// edgeViewers is how many viewers, each from its own loopback address,
// take a token and vote through the edge.
const edgeViewers = 500

// clientFrom is an HTTP client whose connections leave from the loopback
// address src: nginx then sees src as $remote_addr.
func clientFrom(src string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}}}
}

// viewerAddr is the source address of viewer i: 127.0.1.1 to 127.0.2.250.
func viewerAddr(i int) string { return fmt.Sprintf("127.0.%d.%d", 1+i/250, 1+i%250) }

// call sends a request with an optional bearer token and extra headers;
// out receives a 2xx JSON answer.
func call(t *testing.T, c *http.Client, method, url, token, body string, hdr map[string]string, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Errorf("%s %s: %v in %s", method, url, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

// Through real nginx with the shipped config and -trusted-proxies
// 127.0.0.1/32: an attacker's wrong-token flood does not stop the host's
// pause (the host talks to the origin directly; the edge refuses host
// writes), 500 viewers with distinct addresses all get tokens and vote
// with exact tallies, ingest and host/admin writes through the edge are
// refused, and no secret reaches nginx's logs.
func TestEdgeViewersVoteHostPausesIngestRefused(t *testing.T) {
	e := startEdge(t)
	attackerFlood(t, e)
	host := clientFrom("127.0.0.200")
	if st, body := call(t, host, "POST", e.origin+"/api/v1/channels/demo/pause", e.host, `{}`, nil, nil); st != 200 {
		t.Fatalf("host pause after the attacker's flood: %d %s", st, body)
	}
	want := viewersVote(t, e)
	var poll struct {
		State   string `json:"state"`
		Total   int    `json:"total"`
		Options []struct {
			ID    string `json:"id"`
			Votes int    `json:"votes"`
		} `json:"options"`
	}
	if st, body := call(t, http.DefaultClient, "GET", e.edge+"/api/v1/channels/demo/poll", "", "", nil, &poll); st != 200 {
		t.Fatalf("poll via edge: %d %s", st, body)
	}
	if poll.State != "open" || poll.Total != edgeViewers {
		t.Errorf("poll %s with %d voters, want open with %d", poll.State, poll.Total, edgeViewers)
	}
	for _, o := range poll.Options {
		if o.Votes != want[o.ID] {
			t.Errorf("option %s: %d votes, want %d", o.ID, o.Votes, want[o.ID])
		}
	}
	writesRefused(t, e)
	ingestRefused(t, e)
	logsHoldNoSecrets(t, e)
}

// attackerFlood: 40 wrong-token pause calls through the edge (refused
// there) and 40 straight at the origin, all claiming the host's address in
// X-Forwarded-For. The origin's failed-auth and pause limits bite the
// attacker's own address only.
func attackerFlood(t *testing.T, e *edge) {
	t.Helper()
	atk := clientFrom("127.0.0.66")
	spoof := map[string]string{"X-Forwarded-For": "127.0.0.200", "Forwarded": "for=127.0.0.200"}
	for i := 0; i < 40; i++ {
		if st, _ := call(t, atk, "POST", e.edge+"/api/v1/channels/demo/pause", "wrong-token", `{}`, spoof, nil); st != 403 {
			t.Fatalf("pause through the edge: %d, want 403 (refused at the edge)", st)
		}
	}
	limited := 0
	for i := 0; i < 40; i++ {
		switch st, body := call(t, atk, "POST", e.origin+"/api/v1/channels/demo/pause", "wrong-token", `{}`, spoof, nil); st {
		case 401, 403:
		case 429:
			limited++
		default:
			t.Fatalf("wrong-token pause at the origin: %d %s", st, body)
		}
	}
	if limited == 0 {
		t.Error("40 wrong-token pauses from one address were never rate limited")
	}
	t.Logf("attacker: 40 refused at the edge, 40 at the origin (%d of them 429)", limited)
}

// viewersVote: each viewer takes a token and votes through the edge from
// its own address; it returns the expected tally by option id.
func viewersVote(t *testing.T, e *edge) map[string]int {
	t.Helper()
	want := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	start := time.Now()
	for i := 0; i < edgeViewers; i++ {
		opt := fmt.Sprint(1 + i%3)
		want[opt]++
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := clientFrom(viewerAddr(i))
			defer c.CloseIdleConnections()
			var tok struct {
				ViewerToken string `json:"viewer_token"`
			}
			if st, body := call(t, c, "POST", e.edge+"/api/v1/viewers", "", `{"channel":"demo"}`, nil, &tok); st != 201 {
				mu.Lock()
				defer mu.Unlock()
				t.Errorf("viewer %d (%s): token %d %s", i, viewerAddr(i), st, body)
				return
			}
			if st, body := call(t, c, "POST", e.edge+"/api/v1/channels/demo/poll/vote", tok.ViewerToken, `{"option":"`+opt+`"}`, nil, nil); st != 200 {
				t.Errorf("viewer %d (%s): vote %d %s", i, viewerAddr(i), st, body)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d viewers from distinct addresses took a token and voted through the edge in %s", edgeViewers, time.Since(start).Round(time.Millisecond))
	return want
}

// writesRefused: host and admin writes, and the host console, are refused
// at the edge even with valid tokens.
func writesRefused(t *testing.T, e *edge) {
	t.Helper()
	for _, r := range []struct{ method, path, token, body string }{
		{"POST", "/api/v1/channels", admin, `{"id":"viaedge"}`},
		{"PATCH", "/api/v1/channels/demo", e.host, `{"title":"x"}`},
		{"POST", "/api/v1/channels/demo/resume", e.host, `{}`},
		{"POST", "/api/v1/channels/demo/rotate", e.host, `{"what":"both"}`},
		{"PUT", "/api/v1/channels/demo/tags", e.host, `{"tags":["x"]}`},
		{"GET", "/host/demo", "", ""},
	} {
		if st, body := call(t, http.DefaultClient, r.method, e.edge+r.path, r.token, r.body, nil, nil); st != 403 {
			t.Errorf("%s %s through the edge: %d %s, want 403", r.method, r.path, st, body)
		}
	}
	var ch struct {
		State string `json:"state"`
	}
	if call(t, http.DefaultClient, "GET", e.origin+"/api/v1/channels/demo", "", "", nil, &ch); ch.State != "paused" {
		t.Errorf("channel %q after a refused resume through the edge, want paused", ch.State)
	}
}

// ingestRefused: ingest with a valid stream key, in the header or the
// path, spelled in ways that route to ingest at the origin, is refused at
// the edge and never reaches the origin.
func ingestRefused(t *testing.T, e *edge) {
	t.Helper()
	pl := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n"
	for _, path := range []string{
		"/ingest/demo/index.m3u8",
		"/ingest/demo/" + e.key + "/index.m3u8",
		"/ingest/demo/" + e.key + "/seg1.m4s",
		"//ingest/demo/" + e.key + "/index.m3u8",
		"/live/../ingest/demo/" + e.key + "/index.m3u8",
		"/live/%2e%2e/ingest/demo/" + e.key + "/index.m3u8",
		"/live/..%2Fingest/demo/" + e.key + "/index.m3u8",
		"/ingest%2Fdemo%2F" + e.key + "%2Findex.m3u8",
		"/INGEST/demo/" + e.key + "/index.m3u8",
	} {
		for _, method := range []string{"PUT", "POST", "DELETE"} {
			if st := rawStatus(t, strings.TrimPrefix(e.edge, "http://"), method, path, e.key, pl); st < 400 {
				t.Errorf("%s %s through the edge: %d, want refused", method, path, st)
			}
		}
	}
	m := get(t, e.origin+"/metrics")
	if strings.Contains(m.body, "hlsorigin_ingest_files_total{") {
		t.Errorf("an ingest request reached the origin through the edge:\n%s", grepLines(m.body, "hlsorigin_ingest_files_total"))
	}
}

// rawStatus sends a request line exactly as written (no client-side path
// cleaning) and returns the status.
func rawStatus(t *testing.T, addr, method, path, key, body string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: edge\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", method, path, key, len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// logsHoldNoSecrets: the access and error logs name viewers by their own
// address and hold no stream key, host or admin token.
func logsHoldNoSecrets(t *testing.T, e *edge) {
	t.Helper()
	access, err := os.ReadFile(filepath.Join(e.dir, "access.log"))
	if err != nil {
		t.Fatal(err)
	}
	errlog, _ := os.ReadFile(filepath.Join(e.dir, "error.log"))
	for name, secret := range map[string]string{"stream key": e.key, "host token": e.host, "admin token": admin} {
		for file, b := range map[string][]byte{"access.log": access, "error.log": errlog} {
			if strings.Contains(string(b), secret) {
				t.Errorf("nginx %s holds the %s:\n%s", file, name, grepLines(string(b), secret))
			}
		}
	}
	if !strings.Contains(string(access), viewerAddr(edgeViewers-1)+" ") {
		t.Errorf("access log does not name viewer %s", viewerAddr(edgeViewers-1))
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
