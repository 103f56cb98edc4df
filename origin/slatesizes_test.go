package origin

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"hlsorigin/manifest/hlscheck"
	"hlsorigin/segments"
)

// TestSlateVariantAtRenditionSize: a 320x180 rendition (no bundled slate
// has that size: the nearest is 256x144) gets a default slate variant at
// exactly 320x180, made off the live path; the slate spliced in on a
// pause then has the variant's resolution and CODECS covers it.
func TestSlateVariantAtRenditionSize(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed: run make test")
	}
	c := newClock()
	o, err := Open(Config{DataDir: t.TempDir(), Now: c.Now, ResumeMargin: time.Second}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if sl := o.slates.variant(DefaultSlateID, 320, 180); sl.Width == 320 {
		t.Fatal("a bundled 320x180 slate: the test proves nothing")
	}
	ch := newTestChannel(t, o, "sz")
	loopABR(t, ch, c, 3, true, func(int) {})
	deadline := time.Now().Add(2 * time.Minute)
	for o.slates.variant(DefaultSlateID, 320, 180).Width != 320 {
		if time.Now().After(deadline) {
			t.Fatal("no 320x180 default slate after 2 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := ch.Pause(PauseRequest{}); err != nil {
		t.Fatal(err)
	}
	loopABRFrom(t, ch, c, 3, 5)
	r, _ := ch.Rendition("stream_2")
	pl, _ := r.Playlist()
	var attrs map[string]string
	mv := multivariantBody(t, ch)
	for _, l := range strings.Split(mv, "\n") {
		if strings.Contains(l, "RESOLUTION=320x180") {
			attrs = streamInf(t, l+"\n")
		}
	}
	err = hlscheck.CheckCodecs(attrs["CODECS"], attrs["RESOLUTION"], pl.Body, func(uri string) (hlscheck.InitInfo, error) {
		var ver uint32
		if _, err := fmt.Sscanf(uri, "init-%d.mp4", &ver); err != nil {
			return hlscheck.InitInfo{}, err
		}
		in, err := r.InitInfo(ver)
		if err != nil {
			return hlscheck.InitInfo{}, err
		}
		info := hlscheck.InitInfo{}
		for _, tr := range in.Tracks {
			info.Codecs = append(info.Codecs, tr.Codec)
			if tr.Kind == segments.KindVideo {
				info.Width, info.Height = tr.Width, tr.Height
			}
		}
		return info, nil
	})
	if err != nil || !strings.Contains(string(pl.Body), "init-2.mp4") {
		t.Errorf("%v\n%s\n%s", err, mv, pl.Body)
	}
}
