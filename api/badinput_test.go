package api

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"hlsorigin/fixtures"
	"hlsorigin/origin"
)

// state is everything a bad request must leave alone.
type state struct {
	digest, view, multivariant, media string
}

func (fs *fixtureServer) state(t *testing.T) state {
	t.Helper()
	var s state
	s.digest = fs.digest(t)
	_, v := fs.status(t, "GET", "/api/v1/channels/c", "", "")
	_, mv := fs.status(t, "GET", "/live/c/index.m3u8", "", "")
	s.view, s.multivariant, s.media = string(v), string(mv), string(fs.playlistBytes(t))
	return s
}

// patchTrackID rewrites the track_ID of every tfhd in a segment.
func patchTrackID(seg []byte, id uint32) []byte {
	out := bytes.Clone(seg)
	for i := 0; ; {
		j := bytes.Index(out[i:], []byte("tfhd"))
		if j < 0 {
			return out
		}
		at := i + j + 4 + 4 // type, version+flags
		binary.BigEndian.PutUint32(out[at:], id)
		i = at + 4
	}
}

// TestBadInputMatrix sends hostile or broken requests to the real server
// over TCP (raw request lines: no client-side path cleaning). Each gets a
// 4xx JSON {error, code} (a duplicate segment an idempotent 2xx), and the
// store, the channel and its playlists stay unchanged.
func TestBadInputMatrix(t *testing.T) {
	const maxSeg = 1 << 20 // fiber's BodyLimit is this + 1 MiB
	fs := newFixtureServerCfg(t, origin.Config{DataDir: t.TempDir(), MaxSegmentBytes: maxSeg, Logger: quietLog()},
		Options{AdminToken: testAdmin, RateLimits: NoRateLimits(), Logger: quietLog()})
	addr := fs.listen(t)
	m := fixtures.Muxed()
	seg := m.Segments[0] // valid media with the right key: only the bad part may be refused
	auth := "Authorization: Bearer " + fs.key + "\r\n"
	host := "Authorization: Bearer " + fs.host + "\r\n"
	admin := "Authorization: Bearer " + testAdmin + "\r\n"
	req := func(method, target, hdr string, body []byte) (string, io.Reader) {
		return fmt.Sprintf("%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n",
			method, target, hdr, len(body)), bytes.NewReader(body)
	}
	chunked := func(target string, size int) (string, io.Reader) {
		var b bytes.Buffer
		chunk := bytes.Repeat([]byte{0}, 64<<10)
		for sent := 0; sent < size; sent += len(chunk) {
			fmt.Fprintf(&b, "%x\r\n", len(chunk))
			b.Write(chunk)
			b.WriteString("\r\n")
		}
		b.WriteString("0\r\n\r\n")
		return fmt.Sprintf("PUT %s HTTP/1.1\r\nHost: x\r\n%sTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", target, auth), &b
	}
	badID := func(id string) []byte { b, _ := json.Marshal(map[string]string{"id": id}); return b }
	type tc struct {
		desc     string
		request  string
		body     io.Reader
		want     int
		wantCode string
	}
	var cases []tc
	add := func(desc string, want int, code string, r string, b io.Reader) {
		cases = append(cases, tc{desc, r, b, want, code})
	}
	r, b := req("PUT", "/ingest/c/seg3.m4s", auth, make([]byte, maxSeg+2<<20))
	add("body over BodyLimit (Content-Length)", 413, "too_large", r, b)
	r, b = chunked("/ingest/c/seg3.m4s", maxSeg+2<<20)
	add("chunked body over BodyLimit", 413, "too_large", r, b)
	r, b = req("PUT", "/ingest/c/seg3.m4s", auth, make([]byte, maxSeg+1000))
	add("body over MaxSegmentBytes", 413, "too_large", r, b)
	r, b = req("POST", "/api/v1/channels", admin, append([]byte(`{"id":"big","title":"`), bytes.Repeat([]byte("a"), maxSeg+2<<20)...))
	add("API body over BodyLimit", 413, "too_large", r, b)
	r, b = req("PUT", "/ingest/c/seg3.m4s", auth, seg[:len(seg)/2])
	add("truncated segment", 400, "bad_media", r, b)
	r, b = req("PUT", "/ingest/c/other7.m4s", auth, seg[:len(seg)/3])
	add("truncated segment, unknown rendition", 400, "bad_media", r, b)
	r, b = req("PUT", "/ingest/c/seg3.m4s", auth, []byte("\x00\x00\x00\x10moofgarbage!"))
	add("garbage segment", 400, "bad_media", r, b)
	r, b = req("PUT", "/ingest/c/seg3.m4s", auth, bytes.Repeat([]byte{0xff}, 4096))
	add("random bytes segment", 400, "bad_media", r, b)
	r, b = req("PUT", "/ingest/c/init.mp4", auth, m.Init[:len(m.Init)-100])
	add("truncated init", 400, "bad_media", r, b)
	r, b = req("PUT", "/ingest/c/init.mp4", auth, seg)
	add("a segment sent as the init", 400, "bad_media", r, b)
	r, b = req("PUT", "/ingest/c/seg3.m4s", auth, patchTrackID(m.Segments[1], 7))
	add("track ID not in the init", 400, "bad_media", r, b)
	r, b = req("PUT", "/ingest/c/seg3.m4s", auth, m.Segments[0])
	add("timestamps going backwards", 400, "bad_media", r, b)
	r, b = req("PUT", "/ingest/c/seg3.m4s", auth, m.Segments[2])
	add("timestamps repeating (the last segment under a new name)", 400, "bad_media", r, b)
	var huge bytes.Buffer
	huge.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\"\n")
	for k := 0; huge.Len() < maxSeg-100; k++ {
		fmt.Fprintf(&huge, "#EXTINF:2.0,\nseg%d.m4s\n", k+1000)
	}
	r, b = req("PUT", "/ingest/c/index.m3u8", auth, huge.Bytes())
	add("ingest playlist naming ~45,000 segments (limit 10,000)", 400, "invalid", r, b)
	r, b = req("PUT", "/ingest/c/index.m3u8", auth, []byte("#EXTM3U\n#EXTINF:abc,\nseg9.m4s\n"))
	add("broken ingest playlist", 400, "invalid", r, b)
	r, b = req("PUT", "/ingest/c/seg2.m4s", auth, m.Segments[2])
	add("duplicate segment PUT (idempotent)", 201, "", r, b)
	for _, p := range []string{
		"/ingest/c/../../etc/passwd.m4s", "/ingest/c/%2e%2e/%2e%2e/x.m4s", "/ingest/c/%2e%2e%2f%2e%2e%2fx.m4s",
		"/ingest/c/..%2fx.m4s", "/ingest/c/a%2fb.m4s", "/ingest/c/.hidden.m4s", "/ingest/c/seg%00.m4s",
		"/ingest/c/seg3.m4s%00.txt", "/ingest/%2e%2e/seg3.m4s", "/ingest/c/" + fs.key + "/..%2f..%2fx.m4s",
		"/ingest/c/x/y/z/seg3.m4s", "/ingest/c/seg3.exe", "/ingest/C/seg3.m4s",
	} {
		r, b = req("PUT", p, auth, seg)
		add("traversal PUT "+p, 0, "", r, b)
	}
	for _, p := range []string{"/live/c/..%2f..%2fmeta/index.m3u8", "/live/c/index/..%2f..%2f1.m4s",
		"/live/c/index/%2e%2e%2f1.m4s", "/live/c/index/init-%2e%2e.mp4", "/live/c/index/-1.m4s",
		"/live/c/index/99999999999999999999999.m4s", "/live/c/index/init-99999999999.mp4"} {
		r, b = req("GET", p, "", nil)
		add("traversal GET "+p, 0, "", r, b)
	}
	for _, id := range []string{"A", "Demo", "a/b", "..", ".", "a.b", "", strings.Repeat("a", 65), "-a", "_a", "a b",
		"ä", "%2e%2e", "a\n", "a\x00", "index.m3u8", "../c"} {
		r, b = req("POST", "/api/v1/channels", admin, badID(id))
		add(fmt.Sprintf("create channel %q", id), 400, "invalid", r, b)
	}
	for _, mt := range [][2]string{{"DELETE", "/live/c/index.m3u8"}, {"PUT", "/api/v1/channels/c"},
		{"GET", "/ingest/c/seg0.m4s"}, {"POST", "/live/c/index/0.m4s"}, {"DELETE", "/api/v1/channels/c/pause"},
		{"GET", "/api/v1/channels/c/rotate"}, {"PATCH", "/api/v1/channels"}} {
		r, b = req(mt[0], mt[1], host, nil)
		add("wrong method "+mt[0]+" "+mt[1], 405, "method_not_allowed", r, b)
	}
	for _, p := range []string{"/live/%E4%B8%AD/index.m3u8", "/live/" + strings.Repeat("a", 300) + "/index.m3u8",
		"/live/C/index.m3u8", "/live/c%00/index.m3u8", "/live/c%20/index.m3u8", "/api/v1/channels/%2e%2e",
		"/api/v1/channels/c%2fx", "/api/v1/channels/..%2fc", "/replay/%2e%2e.mp4", "/replay/c%00.mp4"} {
		r, b = req("GET", p, "", nil)
		add("odd channel name GET "+p, 0, "", r, b)
	}
	for _, p := range []string{"/ingest/%E4%B8%AD/seg3.m4s", "/ingest/" + strings.Repeat("a", 300) + "/seg3.m4s", "/ingest/c%20/seg3.m4s"} {
		r, b = req("PUT", p, auth, seg)
		add("odd channel name PUT "+p, 0, "", r, b)
	}
	for _, p := range []string{"/api/v1/channels/C/pause", "/api/v1/channels/c%00/pause", "/api/v1/channels/%2e%2e/pause"} {
		r, b = req("POST", p, host, nil)
		add("odd channel name POST "+p, 0, "", r, b)
	}
	for _, u := range [][2]string{{"GET", "/live/nope/index.m3u8"}, {"GET", "/live/nope/index/index.m3u8"},
		{"GET", "/live/nope/index/0.m4s"}, {"PUT", "/ingest/nope/seg0.m4s"}, {"POST", "/api/v1/channels/nope/pause"},
		{"GET", "/api/v1/channels/nope"}, {"PATCH", "/api/v1/channels/nope"}, {"GET", "/live/c/nope/index.m3u8"},
		{"GET", "/replay/nope/index.m3u8"}, {"GET", "/no/such/route"}} {
		r, b = req(u[0], u[1], auth, nil)
		add("unknown "+u[0]+" "+u[1], 404, "not_found", r, b)
	}

	before := fs.state(t)
	for _, c := range cases {
		resp, body := rawHTTP(t, addr, c.request, c.body)
		switch {
		case c.want == 0 && (resp.StatusCode < 400 || resp.StatusCode >= 500):
			t.Errorf("%s: %d %s, want 4xx", c.desc, resp.StatusCode, body)
		case c.want != 0 && resp.StatusCode != c.want:
			t.Errorf("%s: %d %s, want %d", c.desc, resp.StatusCode, body, c.want)
		}
		if resp.StatusCode >= 400 {
			var e apiError
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" || e.Code == "" {
				t.Errorf("%s: error answer is not JSON {error, code}: %q", c.desc, body)
			} else if c.wantCode != "" && e.Code != c.wantCode {
				t.Errorf("%s: code %q, want %q (%s)", c.desc, e.Code, c.wantCode, e.Error)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s: Content-Type %q", c.desc, ct)
			}
		}
		if after := fs.state(t); after != before {
			t.Errorf("%s changed the state:\nbefore %+v\nafter  %+v", c.desc, before, after)
			before = after
		}
	}
	t.Logf("%d bad requests, each refused with nothing stored", len(cases))
	if n := len(fs.o.Channels()); n != 1 {
		t.Errorf("%d channels, want 1", n)
	}
	// the server still works
	if st, b := fs.status(t, "PUT", "/ingest/c/"+m.SegmentNames[2], fs.key, string(m.Segments[2])); st != 201 {
		t.Errorf("good duplicate after the matrix: %d %s", st, b)
	}
	if resp, err := http.Get("http://" + addr + "/live/c/index/index.m3u8"); err != nil || resp.StatusCode != 200 {
		t.Errorf("playlist after the matrix: %v %v", resp, err)
	}
}
