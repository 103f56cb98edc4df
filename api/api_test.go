package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/origin"
)

const testAdmin = "admin-secret-0123456789abcdefghijklmnop" // >= 32 characters

type fixtureServer struct {
	s         *Server
	o         *origin.Origin
	key, host string
}

// newFixtureServer has channel "c" with the muxed fixture ingested
// through HTTP exactly as ffmpeg would send it.
func newFixtureServer(t *testing.T) *fixtureServer {
	t.Helper()
	return newFixtureServerWith(t, Options{AdminToken: testAdmin})
}

// newFixtureServerWith is newFixtureServer with server options.
func newFixtureServerWith(t *testing.T, opt Options) *fixtureServer {
	t.Helper()
	return newFixtureServerCfg(t, origin.Config{DataDir: t.TempDir()}, opt)
}

// newFixtureServerCfg is newFixtureServer with origin and server options.
func newFixtureServerCfg(t *testing.T, cfg origin.Config, opt Options) *fixtureServer {
	t.Helper()
	fs := newFixtureServerCfgOnly(t, cfg, opt)
	var cr struct {
		StreamKey string `json:"stream_key"`
		HostToken string `json:"host_token"`
	}
	resp := fs.req(t, "POST", "/api/v1/channels", testAdmin, `{"id":"c","title":"cooking"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	decode(t, resp, &cr)
	fs.key, fs.host = cr.StreamKey, cr.HostToken
	m := fixtures.Muxed()
	fs.put(t, "/ingest/c/"+m.InitName, fs.key, m.Init, 201)
	for i, seg := range m.Segments {
		fs.put(t, "/ingest/c/"+m.SegmentNames[i], fs.key, seg, 201)
		fs.put(t, "/ingest/c/"+m.PlaylistName, fs.key, playlist(m, i), 201)
	}
	return fs
}

func playlist(r fixtures.Rendition, k int) []byte {
	s := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"" + r.InitName + "\"\n"
	for i := 0; i <= k; i++ {
		s += "#EXTINF:2.0,\n" + r.SegmentNames[i] + "\n"
	}
	return []byte(s)
}

func (fs *fixtureServer) req(t *testing.T, method, path, token, body string) *http.Response {
	t.Helper()
	return fs.raw(t, method, path, token, []byte(body), nil)
}

func (fs *fixtureServer) raw(t *testing.T, method, path, token string, body []byte, hdr map[string]string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	resp, err := fs.s.App().Test(r, 10000)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// status performs a request and returns its status and body.
func (fs *fixtureServer) status(t *testing.T, method, path, token, body string) (int, []byte) {
	t.Helper()
	resp := fs.raw(t, method, path, token, []byte(body), nil)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (fs *fixtureServer) put(t *testing.T, path, token string, body []byte, want int) {
	t.Helper()
	resp := fs.raw(t, "PUT", path, token, body, nil)
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT %s: %d %s, want %d", path, resp.StatusCode, b, want)
	}
}

func decode(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode: %v", err)
	}
}

func TestHTTPTable(t *testing.T) {
	fs := newFixtureServer(t)
	m := fixtures.Muxed()
	cases := []struct {
		desc       string
		method     string
		path       string
		token      string
		body       []byte
		hdr        map[string]string
		wantStatus int
		wantIn     string // in the body
		wantHdr    map[string]string
	}{
		{desc: "multivariant", method: "GET", path: "/live/c/index.m3u8", wantStatus: 200, wantIn: "#EXT-X-STREAM-INF",
			wantHdr: map[string]string{"Content-Type": "application/vnd.apple.mpegurl", "Access-Control-Allow-Origin": "*"}},
		{desc: "media playlist", method: "GET", path: "/live/c/index/index.m3u8", wantStatus: 200, wantIn: "#EXT-X-MAP:URI=\"init-1.mp4\"",
			wantHdr: map[string]string{"Cache-Control": "public, max-age=1"}}, // target 3 = ceil(1.5 x 2 s), max-age 3/2
		{desc: "head playlist", method: "HEAD", path: "/live/c/index/index.m3u8", wantStatus: 200},
		{desc: "segment", method: "GET", path: "/live/c/index/1.m4s", wantStatus: 200,
			wantHdr: map[string]string{"Cache-Control": "public, max-age=31536000, immutable", "Content-Type": "video/mp4"}},
		{desc: "init", method: "GET", path: "/live/c/index/init-1.mp4", wantStatus: 200},
		{desc: "segment not yet", method: "GET", path: "/live/c/index/99.m4s", wantStatus: 404, wantIn: `"code":"not_found"`,
			wantHdr: map[string]string{"Cache-Control": "public, max-age=1"}},
		{desc: "segment 304", method: "GET", path: "/live/c/index/1.m4s", hdr: map[string]string{"If-None-Match": `"s1-` + strconv.Itoa(len(m.Segments[1])) + `"`}, wantStatus: 304},
		{desc: "unknown channel", method: "GET", path: "/live/zz/index.m3u8", wantStatus: 404, wantIn: `"error"`},
		{desc: "ingest no key", method: "PUT", path: "/ingest/c/seg7.m4s", body: m.Segments[0], wantStatus: 401},
		{desc: "ingest wrong key", method: "PUT", path: "/ingest/c/seg7.m4s", token: "nope", body: m.Segments[0], wantStatus: 401},
		{desc: "ingest garbage", method: "PUT", path: "/ingest/c/seg7.m4s", token: fs.key, body: []byte("garbage"), wantStatus: 400, wantIn: "bad_media"},
		{desc: "ingest traversal", method: "PUT", path: "/ingest/c/..%2f..%2fetc", token: fs.key, body: []byte("x"), wantStatus: 400},
		{desc: "ingest delete", method: "DELETE", path: "/ingest/c/seg0.m4s", token: fs.key, wantStatus: 204},
		{desc: "create without admin", method: "POST", path: "/api/v1/channels", body: []byte(`{"id":"x"}`), wantStatus: 401},
		{desc: "create bad id", method: "POST", path: "/api/v1/channels", token: testAdmin, body: []byte(`{"id":"a/b"}`), wantStatus: 400},
		{desc: "create bad json", method: "POST", path: "/api/v1/channels", token: testAdmin, body: []byte(`{"id":`), wantStatus: 400},
		{desc: "create unknown field", method: "POST", path: "/api/v1/channels", token: testAdmin, body: []byte(`{"id":"q","x":1}`), wantStatus: 400},
		{desc: "create duplicate", method: "POST", path: "/api/v1/channels", token: testAdmin, body: []byte(`{"id":"c"}`), wantStatus: 409},
		{desc: "channel state", method: "GET", path: "/api/v1/channels/c", wantStatus: 200, wantIn: `"codecs":"avc1.4d401e,mp4a.40.2"`},
		{desc: "patch wrong token", method: "PATCH", path: "/api/v1/channels/c", token: "nope", body: []byte(`{"title":"x"}`), wantStatus: 403},
		{desc: "pause no token", method: "POST", path: "/api/v1/channels/c/pause", wantStatus: 401},
		{desc: "pause bad audio", method: "POST", path: "/api/v1/channels/c/pause", token: fs.host, body: []byte(`{"audio":"loud"}`), wantStatus: 400},
		{desc: "resume never paused", method: "POST", path: "/api/v1/channels/c/resume", token: fs.host, wantStatus: 409},
		{desc: "healthz", method: "GET", path: "/healthz", wantStatus: 200},
		{desc: "metrics", method: "GET", path: "/metrics", wantStatus: 200, wantIn: `hlsorigin_segments_stored_total{channel="c"} 3`},
		{desc: "wrong method", method: "DELETE", path: "/live/c/index.m3u8", wantStatus: 405},
	}
	for _, tc := range cases {
		resp := fs.raw(t, tc.method, tc.path, tc.token, tc.body, tc.hdr)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("%s: status %d (%s), want %d", tc.desc, resp.StatusCode, body, tc.wantStatus)
		}
		if tc.wantIn != "" && !strings.Contains(string(body), tc.wantIn) {
			t.Errorf("%s: body lacks %q:\n%s", tc.desc, tc.wantIn, body)
		}
		for k, v := range tc.wantHdr {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s: header %s=%q, want %q", tc.desc, k, got, v)
			}
		}
		if resp.StatusCode >= 400 && resp.StatusCode != 405 && tc.method != "HEAD" && !strings.Contains(string(body), `"code"`) {
			t.Errorf("%s: error body is not JSON {error, code}: %s", tc.desc, body)
		}
	}
}

func TestPlaylistETag(t *testing.T) {
	fs := newFixtureServer(t)
	resp := fs.req(t, "GET", "/live/c/index/index.m3u8", "", "")
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	resp = fs.raw(t, "GET", "/live/c/index/index.m3u8", "", nil, map[string]string{"If-None-Match": etag})
	if resp.StatusCode != 304 {
		t.Errorf("If-None-Match: %d, want 304", resp.StatusCode)
	}
}

func TestPauseAPIIdempotentAndDurable(t *testing.T) {
	fs := newFixtureServer(t)
	var p1, p2 struct {
		State string `json:"state"`
		Pause struct {
			ID        string    `json:"id"`
			StartedAt time.Time `json:"started_at"`
			Slate     struct{ ID, Reason string }
		} `json:"pause"`
	}
	decode(t, fs.req(t, "POST", "/api/v1/channels/c/pause", fs.host, `{}`), &p1)
	decode(t, fs.req(t, "POST", "/api/v1/channels/c/pause", fs.host, `{"audio":"mute"}`), &p2)
	if p1.State != "paused" || p1.Pause.ID == "" || p1.Pause.ID != p2.Pause.ID || p1.Pause.Slate.ID == "" {
		t.Fatalf("pause not idempotent: %+v vs %+v", p1, p2)
	}
	var st struct {
		State string          `json:"state"`
		Pause json.RawMessage `json:"pause"`
	}
	decode(t, fs.req(t, "GET", "/api/v1/channels/c", "", ""), &st)
	if st.State != "paused" || string(st.Pause) == "null" {
		t.Errorf("state %+v", st)
	}
	if r := fs.req(t, "POST", "/api/v1/channels/c/resume", "wrong", ""); r.StatusCode != 403 {
		t.Errorf("resume with wrong token: %d", r.StatusCode)
	}
	decode(t, fs.req(t, "GET", "/api/v1/channels/c", "", ""), &st)
	if st.State != "paused" {
		t.Errorf("a wrong token changed state: %s", st.State)
	}
	var rr struct {
		State string `json:"state"`
		Pause struct {
			EndedAt *time.Time `json:"ended_at"`
		} `json:"pause"`
	}
	decode(t, fs.req(t, "POST", "/api/v1/channels/c/resume", fs.host, ""), &rr)
	if rr.Pause.EndedAt == nil {
		t.Errorf("resume: %+v", rr)
	}
	var ps []map[string]any
	decode(t, fs.req(t, "GET", "/api/v1/channels/c/pauses", "", ""), &ps)
	if len(ps) != 1 || ps[0]["ended_at"] == nil {
		t.Errorf("pauses: %+v", ps)
	}
}
