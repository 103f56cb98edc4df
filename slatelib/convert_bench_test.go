package slatelib

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkConvert measures one conversion into the 6-variant ladder of a
// 12 MP photo (JPEG) and of a 10 s 1080p phone video (H.264 High with
// B-frames, AAC) and of a 2 s 4K HEVC video, with the default settings (10 s still, 1 job):
// go test ./slatelib -run '^$' -bench Convert -benchtime 1x
func BenchmarkConvert(b *testing.B) {
	cc, err := FindConvertTools(ConvertConfig{}, "ffmpeg")
	if err != nil {
		b.Skip(err)
	}
	dir := b.TempDir()
	inputs := map[string][]string{
		"photo-12MP": {"-f", "lavfi", "-i", "testsrc2=s=4000x3000", "-frames:v", "1", "-q:v", "3", "-f", "image2", "-c:v", "mjpeg"},
		"phone-1080p-10s": {"-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30", "-f", "lavfi", "-i", "sine=f=440:r=48000",
			"-t", "10", "-c:v", "libx264", "-profile:v", "high", "-bf", "3", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
			"-c:a", "aac", "-f", "mp4"},
		"hevc-2160p-2s": {"-f", "lavfi", "-i", "testsrc2=s=3840x2160:r=30", "-t", "2", "-c:v", "libx265", "-preset", "ultrafast",
			"-x265-params", "log-level=error", "-tag:v", "hvc1", "-f", "mp4"},
	}
	for name, args := range inputs {
		b.Run(name, func(b *testing.B) {
			out := filepath.Join(dir, name)
			ffmpegRun(b, append(args, out)...)
			file, err := os.ReadFile(out)
			if err != nil {
				b.Fatal(err)
			}
			o := openTest(b, b.TempDir(), newClock())
			defer o.Close()
			defer o.lib.Close()
			if err := o.lib.Configure(Config{Convert: cc, MaxUploadBytes: 32 << 20}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			var m Meta
			for i := 0; i < b.N; i++ {
				up, err := o.lib.Upload(nil, file, UploadInfo{Title: name})
				if err != nil {
					b.Fatal(err)
				}
				if m = waitSettled(b, o.lib, up.ID); m.Status != Approved {
					b.Fatalf("%s: %s", m.Status, m.Reason)
				}
			}
			b.ReportMetric(float64(len(file)), "input-bytes")
			b.ReportMetric(float64(m.Bytes), "slate-bytes")
		})
	}
}
