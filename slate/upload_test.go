package slate

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/fixtures"
)

func uploadInput(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "upload", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func presetFile(t testing.TB, id string) []byte {
	t.Helper()
	ps, err := fixtures.Presets()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.ID == id {
			b, err := fixtures.PresetMedia(p)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("no preset %s", id)
	return nil
}

// reencodeWithout rebuilds a fragmented slate file without its first
// sample: the first frame is then a P-frame.
func dropFirstFrame(t *testing.T, file []byte) []byte {
	t.Helper()
	sl, err := Load("x", file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := mp4.DecodeFile(bytes.NewReader(sl.initBytes))
	if err != nil {
		t.Fatal(err)
	}
	frag, err := mp4.CreateFragment(1, f.Init.Moov.Trak.Tkhd.TrackID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sl.Samples[1:] {
		s.DecodeTime -= uint64(sl.FrameDur)
		frag.AddFullSample(s)
	}
	var b bytes.Buffer
	if err := f.Init.Encode(&b); err != nil {
		t.Fatal(err)
	}
	seg := mp4.NewMediaSegment()
	seg.AddFragment(frag)
	if err := seg.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPrepareUploadAccepts(t *testing.T) {
	for _, tc := range []struct {
		name          string
		file          []byte
		width, height int
		audio         bool
		dur           float64
	}{
		{"fragmented video-only (bundled preset)", presetFile(t, "gaming"), 640, 360, false, 10},
		{"progressive H.264 + AAC", uploadInput(t, "progressive_aac.mp4"), 320, 180, true, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PrepareUpload(tc.file, Limits{})
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if p.Width != tc.width || p.Height != tc.height || p.HadAudio != tc.audio || p.Duration < tc.dur-0.1 || p.Duration > tc.dur+0.1 {
				t.Errorf("got %dx%d audio=%v %.2fs", p.Width, p.Height, p.HadAudio, p.Duration)
			}
			if (p.Audio != nil) != tc.audio {
				t.Errorf("audio kept = %v, want %v", p.Audio != nil, tc.audio)
			}
			if p.Audio != nil {
				if a, err := CheckAudio(p.Audio); err != nil || a.Duration < tc.dur-0.2 || a.SampleRate == 0 {
					t.Errorf("kept audio %+v: %v, want about %.1fs", a, err, tc.dur)
				}
			}
			if !strings.HasPrefix(p.Codec, "avc1.") {
				t.Errorf("codec %q", p.Codec)
			}
			sl, err := Load("u", p.CMAF)
			if err != nil {
				t.Fatalf("stored form does not load: %v", err)
			}
			if sl.Width != tc.width || sl.Height != tc.height || len(sl.Samples) != p.Frames {
				t.Errorf("loaded %dx%d %d frames, want %dx%d %d", sl.Width, sl.Height, len(sl.Samples), tc.width, tc.height, p.Frames)
			}
			f, err := mp4.DecodeFile(bytes.NewReader(p.CMAF))
			if err != nil || f.Init == nil || len(f.Init.Moov.Traks) != 1 {
				t.Fatalf("stored form is not one-track CMAF: %v", err)
			}
		})
	}
}

func TestPrepareUploadRefuses(t *testing.T) {
	good := presetFile(t, "food")
	for _, tc := range []struct {
		name, want string
		file       []byte
		lim        Limits
		tooLarge   bool
	}{
		{"not an MP4", "not an MP4", []byte("<html>hello, this is not a video</html>"), Limits{}, false},
		{"empty", "not an MP4", nil, Limits{}, false},
		{"truncated", "", good[:len(good)/2], Limits{}, false},
		{"HEVC", "H.264", uploadInput(t, "hevc.mp4"), Limits{}, false},
		{"audio only", "no video track", uploadInput(t, "audio_only.mp4"), Limits{}, false},
		{"B-frames", "B-frames", uploadInput(t, "bframes.mp4"), Limits{}, false},
		{"4:4:4", "profile", uploadInput(t, "yuv444.mp4"), Limits{}, false},
		{"no IDR first", "IDR", dropFirstFrame(t, good), Limits{}, false},
		{"too long", "duration", good, Limits{MaxDuration: 5}, false},
		{"too short", "duration", good, Limits{MinDuration: 20, MaxDuration: 30}, false},
		{"too large", "bytes", good, Limits{MaxVideoBytes: 2000}, true},
		{"too large progressive", "bytes", uploadInput(t, "progressive_aac.mp4"), Limits{MaxVideoBytes: 500}, true},
		{"resolution", "resolution", good, Limits{MaxWidth: 320}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PrepareUpload(tc.file, tc.lim)
			if err == nil {
				t.Fatalf("accepted: %dx%d %.2fs", p.Width, p.Height, p.Duration)
			}
			if !errors.Is(err, ErrUpload) || !errors.Is(err, ErrSlate) {
				t.Errorf("error %v does not wrap ErrUpload", err)
			}
			if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if errors.Is(err, ErrUploadTooLarge) != tc.tooLarge {
				t.Errorf("too large = %v, want %v (%v)", !tc.tooLarge, tc.tooLarge, err)
			}
		})
	}
}

// FuzzPrepareUpload: any bytes are refused with an error or accepted as a
// slate that loads; never a panic.
func FuzzPrepareUpload(f *testing.F) {
	f.Add(presetFile(f, "music"))
	f.Add(uploadInput(f, "progressive_aac.mp4"))
	f.Add(uploadInput(f, "hevc.mp4"))
	f.Add([]byte("not an mp4"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := PrepareUpload(b, Limits{})
		if err != nil {
			if !errors.Is(err, ErrUpload) {
				t.Fatalf("error does not wrap ErrUpload: %v", err)
			}
			return
		}
		if _, err := Load("f", p.CMAF); err != nil {
			t.Fatalf("accepted upload does not load: %v", err)
		}
	})
}

// TestWriteNoIDRFirst regenerates testdata/upload/no_idr_first.mp4 (used
// by the API tests) when HLSORIGIN_WRITE_TESTDATA=1; otherwise it checks
// the committed file still starts with a P-frame.
func TestWriteNoIDRFirst(t *testing.T) {
	path := filepath.Join("testdata", "upload", "no_idr_first.mp4")
	if os.Getenv("HLSORIGIN_WRITE_TESTDATA") == "1" {
		if err := os.WriteFile(path, dropFirstFrame(t, presetFile(t, "sports")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := PrepareUpload(uploadInput(t, "no_idr_first.mp4"), Limits{})
	if err == nil || !strings.Contains(err.Error(), "IDR") {
		t.Fatalf("no_idr_first.mp4: %v", err)
	}
}
