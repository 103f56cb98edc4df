package main

import (
	"math"
	"strings"
	"testing"

	"hlsorigin/manifest"
	"hlsorigin/segments"
)

// checkAudio walks the archive of a rendition (replay with pauses kept) and
// asserts the audio track is gapless and duplicate-free across every
// splice, and as long as the published input (seconds of sine).
func checkAudio(t *testing.T, s *server, id, rend string, seconds int) {
	t.Helper()
	base := "/replay/" + id + "/" + rend + "/"
	st, body, _ := s.get(t, base+"index.m3u8?pauses=keep")
	if st != 200 {
		t.Fatalf("replay playlist %s: %d", rend, st)
	}
	pl, err := manifest.ParseIngest(body)
	if err != nil || pl.Media == nil {
		t.Fatalf("replay playlist %s: %v", rend, err)
	}
	inits := map[string]*segments.Init{}
	var end, total uint64
	var ts uint32
	for i, sg := range pl.Media.Segments {
		in := inits[sg.MapURI]
		if in == nil {
			in = fetchInit(t, s, resolve(base, sg.MapURI))
			inits[sg.MapURI] = in
		}
		a, ok := in.Audio()
		if !ok {
			t.Fatalf("%s segment %d: init without audio", rend, i)
		}
		st, data, _ := s.get(t, resolve(base, sg.URI))
		if st != 200 {
			t.Fatalf("%s: GET %s: %d", rend, sg.URI, st)
		}
		seg, err := segments.ParseSegment(data, in)
		if err != nil {
			t.Fatalf("%s: %s: %v", rend, sg.URI, err)
		}
		for _, tr := range seg.Tracks {
			if tr.TrackID != a.ID {
				continue
			}
			if i > 0 && tr.BaseDecodeTime != end {
				t.Errorf("%s segment %d (%s): audio starts at %d, previous ended at %d (gap or overlap of %d samples)",
					rend, i, sg.URI, tr.BaseDecodeTime, end, int64(tr.BaseDecodeTime)-int64(end))
			}
			end = tr.BaseDecodeTime + tr.Duration
			total += tr.Duration
			ts = a.Timescale
		}
	}
	got := float64(total) / float64(ts)
	// The AAC encoder adds one frame of priming; allow two frames.
	if math.Abs(got-float64(seconds)) > 2*1024/float64(ts) {
		t.Errorf("%s: audio lasts %.4f s, input %d s", rend, got, seconds)
	}
}

func fetchInit(t *testing.T, s *server, path string) *segments.Init {
	t.Helper()
	st, data, _ := s.get(t, path)
	if st != 200 {
		t.Fatalf("GET %s: %d", path, st)
	}
	in, err := segments.ParseInit(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return in
}

// resolve makes a playlist URI absolute against the playlist's directory.
func resolve(dir, uri string) string {
	if strings.HasPrefix(uri, "/") {
		return uri
	}
	return dir + uri
}
