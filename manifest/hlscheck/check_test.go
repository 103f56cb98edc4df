package hlscheck

import (
	"fmt"
	"strings"
	"testing"
)

const head = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:3\n"

// live renders a window starting at seq with n 2-second segments.
func live(seq, n int, discSeq int, discAt map[int]bool) string {
	s := head + fmt.Sprintf("#EXT-X-MEDIA-SEQUENCE:%d\n#EXT-X-DISCONTINUITY-SEQUENCE:%d\n", seq, discSeq)
	for i := seq; i < seq+n; i++ {
		if discAt[i] {
			s += "#EXT-X-DISCONTINUITY\n"
		}
		if i == seq || discAt[i] {
			s += "#EXT-X-MAP:URI=\"init.mp4\"\n"
		}
		s += fmt.Sprintf("#EXTINF:2.000,\n%d.m4s\n", i)
	}
	return s
}

func TestCheckMediaTable(t *testing.T) {
	cases := []struct {
		desc, pl, rule string
	}{
		{"no header", "#EXT-X-VERSION:7\n", "4.3.1.1"},
		{"no target", "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:2,\na.m4s\n", "4.3.3.1"},
		{"too long", head + "#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:3.6,\na.m4s\n", "4.3.3.1"},
		{"no map", head + "#EXTINF:2,\na.m4s\n", "3.3"},
		{"map change without discontinuity", head + "#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:2,\na.m4s\n#EXT-X-MAP:URI=\"j.mp4\"\n#EXTINF:2,\nb.m4s\n", "4.3.2.5"},
		{"old version with map", "#EXTM3U\n#EXT-X-VERSION:5\n#EXT-X-TARGETDURATION:3\n#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:2,\na.m4s\n", "7"},
		{"daterange without pdt", head + "#EXT-X-MAP:URI=\"i.mp4\"\n#EXT-X-DATERANGE:ID=\"a\",START-DATE=\"2026-01-01T00:00:00Z\"\n#EXTINF:2,\na.m4s\n", "4.3.2.7"},
		{"daterange end before start", head + "#EXT-X-MAP:URI=\"i.mp4\"\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z\n#EXT-X-DATERANGE:ID=\"a\",START-DATE=\"2026-01-01T00:00:05Z\",END-DATE=\"2026-01-01T00:00:01Z\"\n#EXTINF:2,\na.m4s\n", "4.3.2.7"},
		{"vod without endlist", head + "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:2,\na.m4s\n", "4.3.3.5"},
		{"uri without extinf", head + "a.m4s\n", "4.3.2.1"},
	}
	for _, tc := range cases {
		err := CheckMedia([]byte(tc.pl))
		if err == nil || !strings.HasPrefix(err.Error(), tc.rule) {
			t.Errorf("%s: err %v, want rule %s", tc.desc, err, tc.rule)
		}
	}
	if err := CheckMedia([]byte(live(0, 6, 0, nil))); err != nil {
		t.Errorf("valid playlist refused: %v", err)
	}
}

func TestCheckerReloads(t *testing.T) {
	ok := NewChecker()
	for _, pl := range []string{live(0, 3, 0, nil), live(0, 6, 0, nil), live(1, 6, 0, map[int]bool{6: true}), live(2, 6, 0, map[int]bool{6: true}),
		live(7, 6, 1, nil)} {
		if err := ok.Check([]byte(pl)); err != nil {
			t.Fatalf("valid reload refused: %v\n%s", err, pl)
		}
	}
	bad := []struct {
		desc       string
		first, pl2 string
		rule       string
	}{
		{"sequence goes back", live(5, 6, 0, nil), live(4, 6, 0, nil), "6.2.1"},
		{"target changes", live(0, 6, 0, nil), strings.Replace(live(1, 6, 0, nil), "TARGETDURATION:3", "TARGETDURATION:4", 1), "6.2.1"},
		{"uri changes", live(0, 6, 0, nil), strings.Replace(live(1, 6, 0, nil), "3.m4s", "x.m4s", 1), "6.2.1"},
		{"discontinuity sequence not incremented", live(0, 6, 0, map[int]bool{3: true}), live(4, 6, 0, nil), "6.2.2"},
		{"segments skipped", live(0, 6, 0, nil), live(9, 6, 0, nil), "6.2.2"},
		{"window too short", live(0, 8, 0, nil), live(6, 2, 0, nil), "6.2.2"},
	}
	for _, tc := range bad {
		c := NewChecker()
		if err := c.Check([]byte(tc.first)); err != nil {
			t.Fatalf("%s: first: %v", tc.desc, err)
		}
		err := c.Check([]byte(tc.pl2))
		if err == nil || !strings.HasPrefix(err.Error(), tc.rule) {
			t.Errorf("%s: err %v, want rule %s", tc.desc, err, tc.rule)
		}
	}
}

func TestCheckMultivariant(t *testing.T) {
	good := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"a\",CHANNELS=\"2\",URI=\"a.m3u8\"\n" +
		"#EXT-X-STREAM-INF:BANDWIDTH=100,CODECS=\"avc1.4d401e,mp4a.40.2\",AUDIO=\"aud\"\nv.m3u8\n"
	if err := CheckMultivariant([]byte(good)); err != nil {
		t.Fatalf("valid refused: %v", err)
	}
	for desc, pl := range map[string]string{
		"unknown group": strings.Replace(good, `AUDIO="aud"`, `AUDIO="x"`, 1),
		"no bandwidth":  strings.Replace(good, "BANDWIDTH=100,", "", 1),
		"no codecs":     strings.Replace(good, `CODECS="avc1.4d401e,mp4a.40.2",`, "", 1),
		"no uri":        strings.TrimSuffix(good, "v.m3u8\n"),
		"media no name": strings.Replace(good, `NAME="a",`, "", 1),
		"program id v7": strings.Replace(good, "STREAM-INF:", "STREAM-INF:PROGRAM-ID=1,", 1),
		"no channels":   strings.Replace(good, `CHANNELS="2",`, "", 1),
	} {
		if err := CheckMultivariant([]byte(pl)); err == nil {
			t.Errorf("%s: accepted", desc)
		}
	}
}

// FuzzChecker: the checker never panics on any input, alone or as a reload.
func FuzzChecker(f *testing.F) {
	f.Add([]byte(live(0, 6, 0, map[int]bool{2: true})))
	f.Add([]byte("#EXTM3U\n#EXT-X-DATERANGE:ID=\"a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := NewChecker()
		_ = c.Check([]byte(live(0, 6, 0, nil)))
		_ = c.Check(b)
		_ = CheckMultivariant(b)
	})
}

func TestCheckCodecs(t *testing.T) {
	pl := []byte("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-MAP:URI=\"init-1.mp4\"\n#EXTINF:2,\n0.m4s\n" +
		"#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-2.mp4\"\n#EXTINF:2,\n1.m4s\n#EXT-X-ENDLIST\n")
	inits := map[string]InitInfo{
		"init-1.mp4": {Codecs: []string{"avc1.64001e", "mp4a.40.2"}, Width: 480, Height: 270},
		"init-2.mp4": {Codecs: []string{"avc1.4d4028", "mp4a.40.2"}, Width: 480, Height: 270},
	}
	lookup := func(u string) (InitInfo, error) { return inits[u], nil }
	if err := CheckCodecs("avc1.640028,mp4a.40.2", "480x270", pl, lookup); err != nil {
		t.Errorf("covering CODECS refused: %v", err)
	}
	if err := CheckCodecs("avc1.64001e,mp4a.40.2", "480x270", pl, lookup); err == nil {
		t.Error("the host's CODECS accepted for a Main 4.0 slate")
	}
	inits["init-2.mp4"] = InitInfo{Codecs: []string{"avc1.4d4028", "mp4a.40.2"}, Width: 426, Height: 240}
	if err := CheckCodecs("avc1.640028,mp4a.40.2", "480x270", pl, lookup); err == nil {
		t.Error("a 426x240 slate accepted in a 480x270 variant")
	}
}
