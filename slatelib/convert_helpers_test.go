package slatelib

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"hlsorigin/origin"
)

// quadrants is the test picture: four solid colours (top left, top right,
// bottom left, bottom right), 16:9 so no letterbox.
var quadrants = [4][3]float64{{230, 30, 30}, {30, 200, 30}, {30, 30, 220}, {230, 220, 30}}

const quadrantSrc = "color=c=0xe61e1e:s=320x180,drawbox=x=160:y=0:w=160:h=90:color=0x1ec81e:t=fill," +
	"drawbox=x=0:y=90:w=160:h=90:color=0x1e1edc:t=fill,drawbox=x=160:y=90:w=160:h=90:color=0xe6dc1e:t=fill"

func needConverter(t *testing.T) ConvertConfig {
	t.Helper()
	cfg, err := FindConvertTools(ConvertConfig{StillSeconds: 3, Jobs: 2, Queue: 8}, "ffmpeg")
	if err != nil {
		t.Skip(err)
	}
	return cfg
}

func ffmpegRun(t testing.TB, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", append([]string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v: %s", args, err, out)
	}
}

// makeInput writes a small upload of a kind (the quadrant picture) and
// returns its bytes.
func makeInput(t *testing.T, kind string) []byte {
	t.Helper()
	dir := t.TempDir()
	pic := []string{"-f", "lavfi", "-i", quadrantSrc + ",format=yuv420p"}
	video := func(secs string) []string {
		return []string{"-f", "lavfi", "-i", quadrantSrc + ",format=yuv420p", "-f", "lavfi", "-i", "sine=f=440:r=48000",
			"-t", secs, "-r", "30"}
	}
	var args []string
	out := filepath.Join(dir, "in")
	switch kind {
	case "png":
		args = append(pic, "-frames:v", "1", "-f", "image2", "-c:v", "png")
	case "jpeg":
		args = append(pic, "-frames:v", "1", "-f", "image2", "-c:v", "mjpeg", "-q:v", "3")
	case "webp":
		args = append(pic, "-frames:v", "1", "-f", "webp", "-c:v", "libwebp")
	case "gif": // animated: 10 frames, a small dot moving in the middle
		args = []string{"-f", "lavfi", "-i", quadrantSrc + ",drawbox=x=150+t*10:y=85:w=4:h=4:color=white:t=fill", "-t", "1", "-r", "10", "-f", "gif"}
	case "phone": // what a phone records: H.264 High with B-frames, AAC
		args = append(video("1"), "-c:v", "libx264", "-profile:v", "high", "-bf", "3", "-preset", "veryfast",
			"-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mp4")
	case "mov":
		args = append(video("1"), "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-f", "mov")
	case "hevc":
		args = append(video("1"), "-an", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
			"-tag:v", "hvc1", "-f", "mp4")
	case "vp9":
		args = append(video("1"), "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus", "-f", "webm")
	case "too long":
		args = []string{"-f", "lavfi", "-i", "color=c=red:s=64x36:r=1:d=61", "-c:v", "libx264", "-preset", "ultrafast", "-f", "mp4"}
	case "mpeg4": // a codec the converter does not take
		args = append(video("1"), "-an", "-c:v", "mpeg4", "-f", "mp4")
	default:
		t.Fatalf("no input kind %q", kind)
	}
	ffmpegRun(t, append(args, out)...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// waitSettled polls a slate until it leaves "processing".
func waitSettled(t testing.TB, l *Library, id string) Meta {
	t.Helper()
	deadline := time.Now().Add(4 * time.Minute)
	for {
		m, err := l.Meta(id)
		if err != nil {
			t.Fatalf("slate %s: %v", id, err)
		}
		if m.Status != Processing {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("slate %s still processing", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// slateRecords counts the slate library's records per kind (m, v, x, a).
func slateRecords(t *testing.T, o *origin.Origin) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, k := range []string{"m", "v", "x", "a"} {
		if err := o.Store().Records("sl", []string{k}, func([]string, []byte) bool { n[k]++; return true }); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// decodeFrame decodes the first video frame of an init + segment with
// ffmpeg as RGB; it fails unless the frame is w x h.
func decodeFrame(t *testing.T, media []byte, w, h int) []byte {
	t.Helper()
	f := filepath.Join(t.TempDir(), "seg.mp4")
	if err := os.WriteFile(f, media, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", f,
		"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("decode: %v: %s", err, stderr.String())
	}
	if stdout.Len() != w*h*3 {
		t.Fatalf("decoded %d bytes, want a %dx%d frame (%d)", stdout.Len(), w, h, w*h*3)
	}
	return stdout.Bytes()
}

// quadrantMeans is the mean colour of the middle half of each quadrant.
func quadrantMeans(rgb []byte, w, h int) [4][3]float64 {
	var out [4][3]float64
	for q := 0; q < 4; q++ {
		x0, y0 := (q%2)*w/2+w/8, (q/2)*h/2+h/8
		n := 0.0
		for y := y0; y < y0+h/4; y++ {
			for x := x0; x < x0+w/4; x++ {
				for c := 0; c < 3; c++ {
					out[q][c] += float64(rgb[(y*w+x)*3+c])
				}
				n++
			}
		}
		for c := range out[q] {
			out[q][c] /= n
		}
	}
	return out
}

func checkQuadrants(rgb []byte, w, h int, tol float64) error {
	got := quadrantMeans(rgb, w, h)
	for q := range got {
		for c := range got[q] {
			if d := got[q][c] - quadrants[q][c]; d > tol || d < -tol {
				return fmt.Errorf("quadrant %d mean %v, want %v (±%.0f)", q, got[q], quadrants[q], tol)
			}
		}
	}
	return nil
}
