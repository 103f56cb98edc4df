package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hlsorigin/fixtures"
	"hlsorigin/slate"
)

// TestSlateMake: "hlsorigin slate make" writes a slate that passes the
// upload validation (with a caption, with a background image), and says
// clearly when ffmpeg is missing.
func TestSlateMake(t *testing.T) {
	needTool(t, "ffmpeg")
	dir := t.TempDir()
	bg := filepath.Join(dir, "bg.png")
	img := image.NewRGBA(image.Rect(0, 0, 320, 200))
	for i := range img.Pix {
		img.Pix[i] = []byte{200, 60, 20, 255}[i%4]
	}
	img.Set(0, 0, color.White)
	f, _ := os.Create(bg)
	png.Encode(f, img)
	f.Close()
	for _, tc := range []struct {
		name          string
		args          []string
		width, height int
	}{
		{"caption", []string{"-text", "Be right back: it's 50%", "-height", "360"}, 640, 360},
		{"image", []string{"-image", bg, "-text", "BRB", "-height", "720"}, 1280, 720},
	} {
		out := filepath.Join(dir, tc.name+".mp4")
		var stdout bytes.Buffer
		if err := run(context.Background(), append(append([]string{"slate", "make"}, tc.args...), "-out", out), &stdout); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		p, err := slate.PrepareUpload(b, slate.Limits{})
		if err != nil {
			t.Fatalf("%s: made slate refused: %v", tc.name, err)
		}
		if p.Width != tc.width || p.Height != tc.height || p.Frames != 300 || !strings.Contains(stdout.String(), "wrote ") {
			t.Errorf("%s: %dx%d %d frames; %s", tc.name, p.Width, p.Height, p.Frames, stdout.String())
		}
	}
	t.Setenv("PATH", "")
	err := run(context.Background(), []string{"slate", "make", "-text", "x", "-out", filepath.Join(dir, "no.mp4")}, io.Discard)
	if !errors.Is(err, errNoFFmpeg) || !strings.Contains(err.Error(), "ffmpeg not found on PATH") {
		t.Fatalf("without ffmpeg: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "no.mp4")); err == nil {
		t.Error("an output file was written without ffmpeg")
	}
}

// uploadSlate posts a multipart slate upload.
func (s *server) uploadSlate(t *testing.T, path, token string, file []byte, fields map[string]string) (int, map[string]any) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", "slate.mp4")
	fw.Write(file)
	w.Close()
	req, _ := http.NewRequest("POST", s.base+path, &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// refFrame decodes the first frame of a slate file as the viewer sees it
// (scaled to the stamp frame size, gray).
func refFrame(t *testing.T, file []byte) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ref.mp4")
	if err := os.WriteFile(p, file, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", p, "-frames:v", "1",
		"-vf", fmt.Sprintf("scale=%d:%d,format=gray", frameW, frameH), "-f", "rawvideo", "-").Output()
	if err != nil || len(out) != frameW*frameH {
		t.Fatalf("decode reference: %v (%d bytes)", err, len(out))
	}
	return out
}

func meanAbsDiff(a, b []byte) float64 {
	s := 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		s += d
	}
	return float64(s) / float64(len(a))
}

// slateFrame is one decoded frame: a host frame (stamped) or a slate frame
// labelled by the nearest reference.
type slateFrame struct {
	host  bool
	label string
	diff  float64
}

// decodeLabelled decodes the live stream and labels every frame.
func decodeLabelled(ctx context.Context, input string, refs map[string][]byte) ([]slateFrame, error) {
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", input, "-map", "0:v:0",
		"-vf", fmt.Sprintf("scale=%d:%d,format=gray", frameW, frameH), "-fps_mode", "passthrough", "-f", "rawvideo", "-")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var frames []slateFrame
	rd := bufio.NewReaderSize(out, 1<<20)
	buf := make([]byte, frameW*frameH)
	for {
		if _, err := io.ReadFull(rd, buf); err != nil {
			break
		}
		if _, ok := decodeStamp(buf); ok {
			frames = append(frames, slateFrame{host: true})
			continue
		}
		f := slateFrame{diff: 1e9}
		for name, ref := range refs {
			if d := meanAbsDiff(buf, ref); d < f.diff {
				f.label, f.diff = name, d
			}
		}
		frames = append(frames, f)
	}
	cmd.Wait()
	return frames, nil
}

// TestE2EUploadedSlate: a host makes a slate (at 854x480, unlike the
// 640x360 stream) with "slate make", uploads it; a real moderation service
// on 127.0.0.1 fetches it and allows it. A second upload carries a blocked
// tag and is rejected. While ffmpeg publishes, the host pauses with the
// uploaded slate, resumes, pauses with the rejected one: the decoded live
// output shows the uploaded slate's pixels in the first pause and the
// default slate's in the second.
func TestE2EUploadedSlate(t *testing.T) {
	needTool(t, "ffmpeg")
	var mu sync.Mutex
	var fetched [][]byte
	mod := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			MediaURL string `json:"media_url"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		resp, err := http.Get(req.MediaURL)
		if err != nil || resp.StatusCode != 200 {
			http.Error(w, "cannot fetch media", 502)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		mu.Lock()
		fetched = append(fetched, b)
		mu.Unlock()
		fmt.Fprint(w, `{"allowed": true, "reason": "ok"}`)
	}))
	defer mod.Close()
	dir := t.TempDir()
	block := filepath.Join(dir, "blocklist.txt")
	os.WriteFile(block, []byte("# blocked\ncasino\n赌博\n"), 0o644)
	s := startServer(t, filepath.Join(dir, "data"), "-moderation-url", mod.URL, "-slate-blocklist", block)
	const id = "slates-e2e"
	cr := s.createChannel(t, id)

	made := filepath.Join(dir, "brb.mp4")
	if err := run(context.Background(), []string{"slate", "make", "-text", "UPLOADED", "-color", "0x00e5ff", "-height", "480",
		"-out", made}, io.Discard); err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile(made)
	st, up := s.uploadSlate(t, "/api/v1/channels/"+id+"/slates", cr.HostToken, file, map[string]string{"title": "Cyan BRB", "tags": "brb"})
	if st != 201 || up["status"] != "approved" {
		t.Fatalf("upload: %d %v", st, up)
	}
	st, bad := s.uploadSlate(t, "/api/v1/channels/"+id+"/slates", cr.HostToken, file, map[string]string{"title": "Night", "tags": "Casino"})
	if st != 201 || bad["status"] != "rejected" {
		t.Fatalf("blocked upload: %d %v", st, bad)
	}
	mu.Lock()
	if len(fetched) != 1 {
		t.Errorf("moderation fetched %d media files, want 1 (the blocked upload never reaches it)", len(fetched))
	}
	mu.Unlock()
	def, _ := fixtures.Slate(360)
	refs := map[string][]byte{"uploaded": refFrame(t, file), "default": refFrame(t, def)}
	if d := meanAbsDiff(refs["uploaded"], refs["default"]); d < 30 {
		t.Fatalf("references too alike (%.1f)", d)
	}

	const seconds = 36
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	pub := startStamped(ctx, t, seconds, stampedArgs(seconds, s.base+"/ingest/"+id+"/index.m3u8", cr.StreamKey, "muxed", false))
	waitForSegments(t, s, id, 1, 2)
	var frames []slateFrame
	var wg sync.WaitGroup
	viewCtx, stopViewer := context.WithCancel(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		frames, _ = decodeLabelled(viewCtx, s.base+"/live/"+id+"/index.m3u8", refs)
	}()
	pause := func(slateID string) map[string]any {
		var pr struct {
			Pause struct {
				Slate map[string]any `json:"slate"`
			} `json:"pause"`
		}
		if st := s.do(t, "POST", "/api/v1/channels/"+id+"/pause", cr.HostToken, map[string]string{"slate": slateID}, &pr); st != 200 {
			t.Fatalf("pause: %d", st)
		}
		return pr.Pause.Slate
	}
	resume := func() {
		if st := s.do(t, "POST", "/api/v1/channels/"+id+"/resume", cr.HostToken, nil, nil); st != 200 {
			t.Fatalf("resume: %d", st)
		}
	}
	time.Sleep(5 * time.Second)
	if sl := pause(up["id"].(string)); sl["id"] != up["id"] || sl["reason"] != "requested" {
		t.Errorf("pause 1 slate: %v", sl)
	}
	time.Sleep(8 * time.Second)
	resume()
	time.Sleep(9 * time.Second) // host video again (resume margin + next keyframe) between the two slates
	if sl := pause(bad["id"].(string)); sl["id"] != "default" || !strings.Contains(sl["reason"].(string), "rejected: blocked term") {
		t.Errorf("pause 2 slate: %v", sl)
	}
	time.Sleep(8 * time.Second)
	resume()
	pub.wait(t)
	time.Sleep(3 * time.Second)
	stopViewer()
	wg.Wait()

	// Runs of slate frames, in order.
	type run struct {
		n      int
		labels map[string]int
		maxD   map[string]float64
	}
	var runs []*run
	inSlate := false
	for _, f := range frames {
		if f.host {
			inSlate = false
			continue
		}
		if !inSlate {
			runs = append(runs, &run{labels: map[string]int{}, maxD: map[string]float64{}})
			inSlate = true
		}
		r := runs[len(runs)-1]
		r.n++
		r.labels[f.label]++
		r.maxD[f.label] = max(r.maxD[f.label], f.diff)
	}
	for i, r := range runs {
		t.Logf("slate run %d: %d frames %v, max diff %v", i, r.n, r.labels, r.maxD)
	}
	if len(runs) != 2 {
		t.Fatalf("%d slate runs in %d decoded frames, want 2", len(runs), len(frames))
	}
	for i, want := range []string{"uploaded", "default"} {
		r := runs[i]
		if r.n < 60 || r.labels[want] < r.n*95/100 || r.maxD[want] > 12 {
			t.Errorf("pause %d: %d slate frames, %d look like the %s slate (max diff %.1f)", i+1, r.n, r.labels[want], want, r.maxD[want])
		}
	}
}
