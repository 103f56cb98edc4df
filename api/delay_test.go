package api

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"hlsorigin/origin"
)

// TestPatchPublishDelay: publish_delay is set (seconds), shown and
// validated; a bad value is a 400 that changes nothing (not even the title
// sent with it).
func TestPatchPublishDelay(t *testing.T) {
	fs := newFixtureServer(t)
	for _, tc := range []struct {
		desc, body string
		want       int
	}{
		{"negative", `{"publish_delay": -1, "title": "x"}`, 400},
		{"over an hour", `{"publish_delay": 3601, "title": "x"}`, 400},
		{"not a number", `{"publish_delay": "6s"}`, 400},
	} {
		before, _ := fs.o.Store().Digest()
		resp := fs.req(t, "PATCH", "/api/v1/channels/c", fs.host, tc.body)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		after, _ := fs.o.Store().Digest()
		if resp.StatusCode != tc.want || !strings.Contains(string(b), `"code"`) || before != after {
			t.Errorf("%s: %d %s (store changed: %v)", tc.desc, resp.StatusCode, b, before != after)
		}
	}
	resp := fs.req(t, "PATCH", "/api/v1/channels/c", fs.host, `{"publish_delay": 6.5}`)
	var v ChannelView
	decode(t, resp, &v)
	if resp.StatusCode != 200 || v.PublishDelay != 6.5 || v.Title != "cooking" {
		t.Errorf("patch: %d %+v", resp.StatusCode, v)
	}
	if resp := fs.req(t, "PATCH", "/api/v1/channels/c", "", `{"publish_delay": 0}`); resp.StatusCode != 401 {
		t.Errorf("without a token: %d", resp.StatusCode)
	}
}

// TestPauseAnswerExposed: a pause that exposed nothing says "exposed":
// null (not absent); one back-dated over published segments names them.
func TestPauseAnswerExposed(t *testing.T) {
	fs := newFixtureServer(t)
	resp := fs.req(t, "POST", "/api/v1/channels/c/pause", fs.host, `{}`)
	var raw struct {
		Pause map[string]json.RawMessage `json:"pause"`
	}
	decode(t, resp, &raw)
	if e, ok := raw.Pause["exposed"]; !ok || string(e) != "null" {
		t.Errorf("pause now: exposed %q present %v, want null", e, ok)
	}
	fs.req(t, "POST", "/api/v1/channels/c/resume", fs.host, `{}`)

	fs2 := newFixtureServer(t)
	resp = fs2.req(t, "POST", "/api/v1/channels/c/pause", fs2.host, `{"at": "2000-01-01T00:00:00Z"}`)
	var p struct {
		Pause PauseView `json:"pause"`
	}
	decode(t, resp, &p)
	if p.Pause.Exposed == nil || !p.Pause.Exposed.Until.After(p.Pause.Exposed.From) || len(p.Pause.Withdrawn["index"]) != 3 {
		t.Fatalf("back-dated pause: exposed %+v, withdrawn %v", p.Pause.Exposed, p.Pause.Withdrawn)
	}
	for _, seq := range []string{"0", "1", "2"} {
		if r := fs2.req(t, "GET", "/live/c/index/"+seq+".m4s", "", ""); r.StatusCode != 404 {
			t.Errorf("withdrawn segment %s: %d", seq, r.StatusCode)
		}
	}
	var ps []PauseView
	decode(t, fs2.req(t, "GET", "/api/v1/channels/c/pauses", "", ""), &ps)
	if len(ps) != 1 || ps[0].Exposed == nil {
		t.Errorf("/pauses: %+v", ps)
	}
}

// TestDelayedSegmentNotServed: under a publish delay, a stored segment
// that is not listed yet answers 404 with a short cache lifetime, and the
// channel is not live until its first segment is due.
func TestDelayedSegmentNotServed(t *testing.T) {
	fs := newFixtureServerCfg(t, origin.Config{DataDir: t.TempDir(), PublishDelay: time.Hour}, Options{AdminToken: testAdmin})
	for _, path := range []string{"/live/c/index/0.m4s", "/live/c/index/2.m4s", "/live/c/index/index.m3u8", "/live/c/index.m3u8"} {
		resp := fs.req(t, "GET", path, "", "")
		resp.Body.Close()
		if resp.StatusCode != 404 || resp.Header.Get("Cache-Control") != "public, max-age=1" {
			t.Errorf("GET %s: %d, Cache-Control %q", path, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
	var v ChannelView
	decode(t, fs.req(t, "GET", "/api/v1/channels/c", "", ""), &v)
	if v.PublishDelay != 3600 || len(v.Renditions) != 0 {
		t.Errorf("channel: delay %v, renditions %+v", v.PublishDelay, v.Renditions)
	}
	// Shortening the delay lists (and serves) what became due at once.
	if resp := fs.req(t, "PATCH", "/api/v1/channels/c", fs.host, `{"publish_delay": 0}`); resp.StatusCode != 200 {
		t.Fatalf("patch: %d", resp.StatusCode)
	}
	if resp := fs.req(t, "GET", "/live/c/index/2.m4s", "", ""); resp.StatusCode != 200 {
		t.Errorf("after the delay went to 0: %d", resp.StatusCode)
	}
}
