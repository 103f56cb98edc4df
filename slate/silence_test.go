package slate

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"
)

var maxVolume = regexp.MustCompile(`max_volume: (-?[\d.]+) dB`)

// TestSilenceFrameAnyRate: a 32 kHz tone (ffmpeg, AAC-LC, fragmented MP4)
// muted with the bundled 48 kHz silent frame decodes without error to
// silence: the frame does not depend on the sample rate.
func TestSilenceFrameAnyRate(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ffmpeg missing")
		}
		t.Skip("ffmpeg missing")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "tone.mp4")
	out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=32000:duration=1",
		"-ac", "2", "-c:a", "aac", "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "2000000", src).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(src)
	f, err := mp4.DecodeFile(bytes.NewReader(b))
	if err != nil || f.Init == nil || len(f.Segments) == 0 {
		t.Fatalf("decode tone: %v", err)
	}
	var ib, sb bytes.Buffer
	f.Init.Encode(&ib)
	for _, s := range f.Segments {
		s.Encode(&sb)
	}
	parts, err := SpliceAudio(sb.Bytes(), f.Init, Cut{PauseAt: math.Inf(-1), ResumeAt: math.Inf(1), Mute: true, Silence: silence(t)})
	if err != nil || len(parts) != 1 {
		t.Fatalf("%v %d parts", err, len(parts))
	}
	for _, c := range []struct {
		data   []byte
		silent bool
	}{{sb.Bytes(), false}, {parts[0].Data, true}} {
		file := filepath.Join(dir, "a.mp4")
		os.WriteFile(file, append(append([]byte(nil), ib.Bytes()...), c.data...), 0o644)
		out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-i", file, "-af", "volumedetect", "-f", "null", "-").CombinedOutput()
		m := maxVolume.FindSubmatch(out)
		if err != nil || m == nil || bytes.Contains(out, []byte("rror")) {
			t.Fatalf("decode: %v\n%s", err, out)
		}
		if quiet := string(m[1]) == "-91.0"; quiet != c.silent {
			t.Errorf("silent %v: max volume %s dB", c.silent, m[1])
		}
	}
}
