package api

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"strings"
	"testing"
	"time"

	"hlsorigin/origin"
	"hlsorigin/slate"
	"hlsorigin/slatelib"
)

// quadrantJPEG is a 4-colour 16:9 picture, as a host's photo would be.
func quadrantJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 180))
	cols := []color.RGBA{{230, 30, 30, 255}, {30, 200, 30, 255}, {30, 30, 220, 255}, {230, 220, 30, 255}}
	for y := 0; y < 180; y++ {
		for x := 0; x < 320; x++ {
			img.Set(x, y, cols[(y/90)*2+x/160])
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// httpDo sends a request to a real listening server.
func httpDo(t *testing.T, method, url, token, ctype string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp
}

// TestSlateUploadConverted: through the real HTTP API on 127.0.0.1, a
// JPEG is answered 202 "processing", GET of the slate shows it become
// approved with its variants, and a pause shows it; what cannot be
// converted is a 400 with nothing stored; another channel cannot read it.
func TestSlateUploadConverted(t *testing.T) {
	cc, err := slatelib.FindConvertTools(slatelib.ConvertConfig{StillSeconds: 3}, "ffmpeg")
	if err != nil {
		t.Skip(err)
	}
	fs := newFixtureServer(t)
	t.Cleanup(fs.s.lib.Close) // before the origin closes
	if err := fs.s.lib.Configure(slatelib.Config{Convert: cc}); err != nil {
		t.Fatal(err)
	}
	base := listenServer(t, fs)
	upload := func(file []byte) (int, uploadResp) {
		body, ctype := multipartBody(t, file, map[string]string{"title": "photo"})
		resp := httpDo(t, "POST", base+"/api/v1/channels/c/slates", fs.host, ctype, body)
		var out uploadResp
		decode(t, resp, &out)
		return resp.StatusCode, out
	}
	st, up := upload(quadrantJPEG(t))
	if st != 202 || up.Status != "processing" || up.ID == "" {
		t.Fatalf("upload: %d %+v", st, up)
	}
	m := pollSlate(t, base, fs.host, up.ID)
	if m.Status != "approved" || len(m.Variants) < 6 || m.Source != "mjpeg" || m.Audio {
		t.Fatalf("slate: %+v", m)
	}
	resp := httpDo(t, "POST", base+"/api/v1/channels/c/pause", fs.host, "application/json", []byte(`{"slate":"`+up.ID+`"}`))
	var pr struct {
		Pause struct{ Slate origin.SlateChoice } `json:"pause"`
	}
	decode(t, resp, &pr)
	if resp.StatusCode != 200 || pr.Pause.Slate.ID != up.ID {
		t.Errorf("pause: %d %+v", resp.StatusCode, pr)
	}
	metas, media := storedSlates(t, fs.o)
	st, bad := upload([]byte(strings.Repeat("a text file, not a picture\n", 40)))
	if st != 400 || bad.Code != "bad_media" || !strings.Contains(bad.Error, "not an image or video") {
		t.Errorf("text upload: %d %+v", st, bad)
	}
	if m2, v2 := storedSlates(t, fs.o); m2 != metas || v2 != media {
		t.Errorf("store %d/%d -> %d/%d after a refused upload", metas, media, m2, v2)
	}
	for path, want := range map[string]int{"/api/v1/slates/" + up.ID: 404, "/api/v1/channels/c/slates/nope": 404} {
		if r := httpDo(t, "GET", base+path, fs.host, "", nil); r.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, r.StatusCode, want)
		}
	}
	if r := httpDo(t, "GET", base+"/api/v1/channels/c/slates/"+up.ID, "", "", nil); r.StatusCode != 401 {
		t.Errorf("GET slate without a token: %d, want 401", r.StatusCode)
	}

	// Moderation runs after the conversion, on the converted media.
	mod := newModerator(t)
	mod.mode = "deny"
	if err := fs.s.lib.Configure(slatelib.Config{Convert: cc, ModerationURL: mod.srv.URL, PublicURL: base}); err != nil {
		t.Fatal(err)
	}
	st, up = upload(quadrantJPEG(t))
	if st != 202 || up.Status != "processing" {
		t.Fatalf("upload with moderation: %d %+v", st, up)
	}
	if m := pollSlate(t, base, fs.host, up.ID); m.Status != "rejected" || m.Reason != "nudity" {
		t.Errorf("moderated slate: %+v", m)
	}
	mod.mu.Lock()
	defer mod.mu.Unlock()
	if len(mod.fetched) != 1 {
		t.Fatalf("moderation fetched %d media files, want 1", len(mod.fetched))
	}
	if sl, err := slate.Load("fetched", mod.fetched[0]); err != nil || sl.Width != 1920 || sl.Height != 1080 {
		t.Errorf("moderation saw %v (%v), want the converted 1920x1080 variant", sl, err)
	}
	if m2, v2 := storedSlates(t, fs.o); m2 != metas+1 || v2 != media {
		t.Errorf("store %d/%d -> %d/%d: a rejected slate keeps its metadata only", metas, media, m2, v2)
	}
}

// pollSlate GETs a host slate until it leaves "processing".
func pollSlate(t *testing.T, base, token, id string) slatelib.Meta {
	t.Helper()
	var m slatelib.Meta
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		resp := httpDo(t, "GET", base+"/api/v1/channels/c/slates/"+id, token, "", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET slate: %d", resp.StatusCode)
		}
		decode(t, resp, &m)
		if m.Status != "processing" && m.Status != "pending" {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("slate %s still %s", id, m.Status)
		}
	}
}
