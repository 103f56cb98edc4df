package hlscheck

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// timedPlaylist renders a live media playlist whose segments last durs
// seconds from start, with a discontinuity before the indexes in discAt.
func timedPlaylist(target, discSeq int, start time.Time, durs []float64, discAt ...int) []byte {
	s := fmt.Sprintf("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:%d\n", target, discSeq)
	at := start
	for i, d := range durs {
		for _, k := range discAt {
			if k == i {
				s += "#EXT-X-DISCONTINUITY\n"
			}
		}
		s += "#EXT-X-MAP:URI=\"init.mp4\"\n#EXT-X-PROGRAM-DATE-TIME:" + at.Format("2006-01-02T15:04:05.000Z") + "\n"
		s += fmt.Sprintf("#EXTINF:%.3f,\n%d.m4s\n", d, i)
		at = at.Add(time.Duration(d * float64(time.Second)))
	}
	return []byte(s)
}

func TestCheckVariant(t *testing.T) {
	// Video: 2 s segments, the slate from 4.5 s (a split segment).
	video := timedPlaylist(3, 6, t0, []float64{2, 2, 0.5, 1.5, 2, 2}, 3)
	// Audio: its own 2.005 s clock, split at the same instant (+10 ms).
	audio := timedPlaylist(3, 6, t0, []float64{2.005, 2.005, 0.5, 1.5, 2.005, 1.9}, 3)
	cases := []struct {
		desc  string
		audio []byte
		rule  string // "" valid
	}{
		{"aligned", audio, ""},
		{"window starting later", timedPlaylist(3, 7, t0.Add(4510*time.Millisecond), []float64{1.5, 2.005}), ""},
		{"target differs", timedPlaylist(4, 6, t0, []float64{2.005, 2.005, 0.5, 1.5, 2.005, 1.9}, 3), "6.2.4: EXT-X-TARGETDURATION"},
		{"no discontinuity", timedPlaylist(3, 6, t0, []float64{2.005, 2.005, 2.005, 2.005, 1.9}), "6.2.4: audio and video"},
		{"numbering differs", timedPlaylist(3, 0, t0, []float64{2.005, 2.005, 0.5, 1.5, 2.005, 1.9}, 3), "6.2.4: audio and video"},
		{"discontinuity 1 s late", timedPlaylist(3, 6, t0, []float64{2.005, 2.005, 1.5, 0.5, 2.005, 1.9}, 3), "6.2.4: audio and video"},
		{"no program date time", []byte(live(0, 3, 6, nil)), "audio: 4.3.2.6"},
	}
	for _, tc := range cases {
		err := CheckVariant(map[string][]byte{"video": video, "audio": tc.audio}, 100*time.Millisecond)
		switch {
		case tc.rule == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.desc, err)
		case tc.rule != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.rule)):
			t.Errorf("%s: err %v, want %s", tc.desc, err, tc.rule)
		}
	}
}
