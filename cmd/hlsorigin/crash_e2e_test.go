package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/fixtures"
	"hlsorigin/manifest/hlscheck"
	"hlsorigin/origin"
	"hlsorigin/segments"
)

// TestCrashKill9 runs the real binary, ingests fixture segments as ffmpeg
// sends them (init, segment, playlist) with pauses and resumes in between,
// and kills the server with SIGKILL at a random instant, round after round
// over the same data directory. After every restart:
//   - every acknowledged (2xx) segment is served (its bytes, found by its
//     timestamps among the segment URLs; a segment ingested while paused is
//     found by its host audio under the slate);
//   - the live media playlist is valid HLS and consistent with every earlier
//     reload (hlscheck.Checker across restarts);
//   - an acknowledged pause is still in force, and no URL serves any video
//     sample of a segment ingested while paused; no URL past the last
//     segment answers.
//
// HLSORIGIN_CRASH_ROUNDS overrides the number of rounds (default 20).
func TestCrashKill9(t *testing.T) {
	rounds := 20
	if v, err := strconv.Atoi(os.Getenv("HLSORIGIN_CRASH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("HLSORIGIN_CRASH_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("seed %d (HLSORIGIN_CRASH_SEED), %d rounds", seed, rounds)
	rng := rand.New(rand.NewPCG(seed, 1))
	start := time.Now()
	c := newCrashClient(t)
	dir := t.TempDir()

	p := startProc(t, dir)
	p.mustCall(t, "POST", "/api/v1/channels", adminToken, []byte(`{"id":"crash","title":"crash"}`), 201, &c.creds)
	var tStart, tVerify, tRun time.Duration
	for round := 0; round < rounds; round++ {
		if round > 0 {
			t0 := time.Now()
			p = startProc(t, dir)
			t1 := time.Now()
			c.reconnect(t, p)
			c.verify(t, p, false)
			tStart, tVerify = tStart+t1.Sub(t0), tVerify+time.Since(t1)
		}
		t2 := time.Now()
		killAt := time.Duration(150+rng.IntN(900)) * time.Millisecond
		timer := time.AfterFunc(killAt, func() { p.cmd.Process.Signal(os.Kill) })
		c.opAt = -1
		if rng.IntN(2) == 0 {
			c.opAt = c.next + rng.IntN(20)
		}
		c.run(p)
		timer.Stop()
		p.kill()
		tRun += time.Since(t2)
	}
	t.Logf("time: restarts %v, reconnect+verify %v, ingest until killed %v", tStart.Round(time.Millisecond),
		tVerify.Round(time.Millisecond), tRun.Round(time.Millisecond))
	p = startProc(t, dir)
	c.reconnect(t, p)
	c.verify(t, p, true)
	p.kill()
	c.report(t, rounds, time.Since(start))
}

// crashTransition is how long after a resume is acknowledged a segment may
// still show the slate. The origin maps the resume through the earliest
// plausible capture time of a segment's start, which is its arrival minus
// its duration (2 s here), and brings host video back origin.DefaultResumeMargin
// after that: a segment arriving up to 3 s after the resume may still be
// (partly) slate. Half a second more for clock rounding.
const crashTransition = 2*time.Second + origin.DefaultResumeMargin + 500*time.Millisecond

// crashSeg is one segment the client sent.
type crashSeg struct {
	k       int
	name    string
	body    []byte
	acked   bool
	class   string            // "live", "paused" (sent while a pause was acknowledged), "transition"
	tfdt    map[uint32]uint64 // per track
	audioTo uint64            // audio tfdt + duration
	video   []videoSample     // host video samples (>= 200 bytes)
	sentAt  time.Time         // when its PUT started
	found   bool
	checked bool // its served parts were searched for host video (they are immutable)
}

type crashClient struct {
	t     *testing.T
	creds struct {
		StreamKey string `json:"stream_key"`
		HostToken string `json:"host_token"`
	}
	m       fixtures.Rendition
	in      *segments.Init
	videoID uint32
	audioID uint32
	loopDur map[uint32]int64

	segs     []*crashSeg
	next     int
	paused   bool      // a pause is acknowledged and no resume was
	opSent   string    // a pause/resume in flight when the server died
	resumed  time.Time // when the last resume was acknowledged
	pausedBy time.Time // the current pause was acknowledged by then
	opAt     int       // segment before which this round pauses or resumes (-1: none)

	checker    *hlscheck.Checker
	served     map[uint64][]byte // seq -> bytes
	audioStart map[uint64]uint64 // seq -> audio tfdt
	lastSeq    int64
	stats      map[string]int
	pauseOps   int
	resumeOps  int
	lost       int // sent, unacknowledged when the server died
	reloads    int // live playlist reloads checked
}

func newCrashClient(t *testing.T) *crashClient {
	m := fixtures.Muxed()
	in, err := segments.ParseInit(m.Init)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := in.Video()
	a, _ := in.Audio()
	c := &crashClient{t: t, m: m, in: in, videoID: v.ID, audioID: a.ID, loopDur: map[uint32]int64{},
		checker: hlscheck.NewChecker(), served: map[uint64][]byte{}, audioStart: map[uint64]uint64{}, lastSeq: -1, stats: map[string]int{}}
	for _, b := range m.Segments {
		seg, err := segments.ParseSegment(b, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range seg.Tracks {
			c.loopDur[tr.TrackID] += int64(tr.Duration)
		}
	}
	return c
}

// segment builds fixture segment k of an endless loop (timestamps retimed).
func (c *crashClient) segment(k int) *crashSeg {
	off := map[uint32]int64{}
	for id, d := range c.loopDur {
		off[id] = int64(k/len(c.m.Segments)) * d
	}
	body, err := segments.Retime(c.m.Segments[k%len(c.m.Segments)], c.in, off)
	if err != nil {
		c.t.Fatal(err)
	}
	seg, err := segments.ParseSegment(body, c.in)
	if err != nil {
		c.t.Fatal(err)
	}
	s := &crashSeg{k: k, name: fmt.Sprintf("seg%d.m4s", k), body: body, tfdt: map[uint32]uint64{}}
	for _, tr := range seg.Tracks {
		s.tfdt[tr.TrackID] = tr.BaseDecodeTime
		if tr.TrackID == c.audioID {
			s.audioTo = tr.BaseDecodeTime + tr.Duration
		}
	}
	s.video = videoSamples(c.t, body, c.videoID)
	return s
}

// playlist is the ingest playlist ffmpeg would PUT: the last 6 segments.
func (c *crashClient) playlist() []byte {
	var b strings.Builder
	lo := max(0, c.next-6)
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:%d\n#EXT-X-MAP:URI=%q\n", lo, c.m.InitName)
	for k := lo; k < c.next; k++ {
		fmt.Fprintf(&b, "#EXTINF:2.000000,\nseg%d.m4s\n", k)
	}
	return []byte(b.String())
}

func (c *crashClient) ingest(p *proc, name string, body []byte) (int, error) {
	st, b, err := p.call("PUT", "/ingest/crash/"+name, c.creds.StreamKey, body, nil)
	if err == nil && st >= 300 {
		c.t.Errorf("PUT %s: %d %s", name, st, b)
	}
	return st, err
}

// run ingests until the server dies: init, then segment + playlist, with a
// pause or resume before segment opAt. One request at a time, so at most one is
// in flight when the server is killed.
func (c *crashClient) run(p *proc) {
	if _, err := c.ingest(p, c.m.InitName, c.m.Init); err != nil {
		return
	}
	for {
		// Pauses start once a few segments are in: the client sends faster
		// than real time, so from then on every segment's program date time
		// (its latest plausible capture time) lies after any pause instant,
		// and the origin must replace all of its video — except right after
		// the program date time was (re-)anchored on an arrival (first
		// segment, restart), when a segment arriving just after the pause
		// may keep the video its arrival allows to predate it (see match).
		if c.next >= 3 && c.next == c.opAt {
			op := "pause"
			if c.paused {
				op = "resume"
			}
			c.opSent = op
			st, b, err := p.call("POST", "/api/v1/channels/crash/"+op, c.creds.HostToken, nil, nil)
			if err != nil {
				return // died: c.opSent stays set
			}
			if st != 200 {
				c.t.Errorf("%s: %d %s", op, st, b)
				return
			}
			c.opSent = ""
			if op == "pause" {
				c.paused, c.pausedBy = true, time.Now()
				c.pauseOps++
			} else {
				c.paused, c.resumed = false, time.Now()
				c.resumeOps++
				// The resume is mapped through wall clock: at 50 segments a
				// second, the transition would otherwise take ~150 segments
				// that can only be checked loosely. Let it pass (the server
				// may well be killed meanwhile), so that what follows is
				// checked byte for byte.
				time.Sleep(crashTransition)
			}
		}
		s := c.segment(c.next)
		s.class = "live"
		switch {
		case c.paused:
			s.class = "paused"
		case !c.resumed.IsZero() && time.Since(c.resumed) < crashTransition:
			s.class = "transition" // sent right after the resume: slate until a keyframe
		}
		c.segs = append(c.segs, s)
		c.next++
		s.sentAt = time.Now()
		st, err := c.ingest(p, s.name, s.body)
		if err != nil {
			c.lost++
			return
		}
		s.acked = st < 300
		if _, err := c.ingest(p, "index.m3u8", c.playlist()); err != nil {
			return
		}
		time.Sleep(10 * time.Millisecond) // keep the archive small: ~50 segments per second
		// a player reloads the live playlist: valid and consistent with every earlier reload
		st, pl, err := p.call("GET", "/live/crash/index/index.m3u8", "", nil, nil)
		if err != nil {
			return
		}
		if st == 200 {
			if err := c.checker.Check(pl); err != nil {
				c.t.Fatalf("live playlist: %v\n%s", err, pl)
			}
			c.reloads++
		}
	}
}

// reconnect is what an encoder does after the server came back: init and
// its playlist again. It also checks the pause state after the restart.
func (c *crashClient) reconnect(t *testing.T, p *proc) {
	t.Helper()
	var v struct {
		State string `json:"state"`
	}
	p.mustCall(t, "GET", "/api/v1/channels/crash", "", nil, 200, &v)
	isPaused := v.State == "paused"
	switch {
	case c.opSent == "pause" && isPaused:
		c.paused, c.pausedBy = true, time.Now() // the pause was stored before the kill; from now on it counts
	case c.opSent == "resume" && !isPaused:
		c.paused, c.resumed = false, time.Now()
	case isPaused != c.paused:
		t.Fatalf("after restart the channel is %q; acknowledged state paused=%v (fail closed)", v.State, c.paused)
	}
	if c.opSent != "" {
		c.stats["pause/resume in flight at kill"]++
	}
	c.opSent = ""
	p.mustCall(t, "PUT", "/ingest/crash/"+c.m.InitName, c.creds.StreamKey, c.m.Init, 201, nil)
	p.mustCall(t, "PUT", "/ingest/crash/index.m3u8", c.creds.StreamKey, c.playlist(), 201, nil)
}

var mediaSeqRe = regexp.MustCompile(`#EXT-X-MEDIA-SEQUENCE:(\d+)`)
var uriRe = regexp.MustCompile(`(?m)^(\d+)\.m4s$`)

// verify checks the live playlist and every acknowledged segment.
func (c *crashClient) verify(t *testing.T, p *proc, final bool) {
	t.Helper()
	pl := p.mustCall(t, "GET", "/live/crash/index/index.m3u8", "", nil, 200, nil)
	if err := c.checker.Check(pl); err != nil {
		t.Fatalf("live playlist after restart: %v\n%s", err, pl)
	}
	mv := p.mustCall(t, "GET", "/live/crash/index.m3u8", "", nil, 200, nil)
	if err := hlscheck.CheckMultivariant(mv); err != nil {
		t.Fatalf("multivariant after restart: %v\n%s", err, mv)
	}
	ms := mediaSeqRe.FindSubmatch(pl)
	uris := uriRe.FindAllSubmatch(pl, -1)
	if ms == nil || len(uris) == 0 {
		t.Fatalf("playlist without segments:\n%s", pl)
	}
	last, _ := strconv.ParseInt(string(uris[len(uris)-1][1]), 10, 64)
	if last < c.lastSeq {
		t.Fatalf("last segment %d after restart, was %d before", last, c.lastSeq)
	}
	// fetch new segments; re-fetch a few old ones (immutable)
	for seq := uint64(c.lastSeq + 1); seq <= uint64(last); seq++ {
		c.served[seq] = p.mustCall(t, "GET", fmt.Sprintf("/live/crash/index/%d.m4s", seq), "", nil, 200, nil)
	}
	rechecked := 0
	for seq, want := range c.served { // map order: a different sample each time
		if final || rechecked < 16 {
			rechecked++
			if got := p.mustCall(t, "GET", fmt.Sprintf("/live/crash/index/%d.m4s", seq), "", nil, 200, nil); !bytes.Equal(got, want) {
				t.Fatalf("segment %d changed across a restart", seq)
			}
		}
	}
	c.lastSeq = last
	for seq := last + 1; seq <= last+3; seq++ {
		if st, _, _ := p.call("GET", fmt.Sprintf("/live/crash/index/%d.m4s", seq), "", nil, nil); st != 404 {
			t.Errorf("segment %d past the last one answers %d", seq, st)
		}
	}
	// playlist segments: none carries host video of a segment sent while paused
	listed := map[uint64]bool{}
	for _, u := range uris {
		n, _ := strconv.ParseUint(string(u[1]), 10, 64)
		listed[n] = true
	}
	c.match(t, listed, final)
}

// match finds every acknowledged segment among the served ones.
func (c *crashClient) match(t *testing.T, listed map[uint64]bool, final bool) {
	byAudio := map[uint64][]uint64{} // audio tfdt -> seqs
	audioStart := c.audioStart
	for seq, b := range c.served {
		a, ok := audioStart[seq]
		if !ok {
			pi, err := segments.Probe(b)
			if err != nil {
				t.Fatalf("served segment %d does not parse: %v", seq, err)
			}
			if a, ok = pi.BaseDecodeTimes[c.audioID]; !ok {
				t.Fatalf("served segment %d has no audio track %d", seq, c.audioID)
			}
			audioStart[seq] = a
		}
		byAudio[a] = append(byAudio[a], seq)
	}
	for k := range c.stats {
		if k != "pause/resume in flight at kill" {
			delete(c.stats, k) // counted again on every verification
		}
	}
	prevClean := true
	for _, s := range c.segs {
		seqs := byAudio[s.tfdt[c.audioID]]
		if len(seqs) > 1 {
			t.Fatalf("segment %s stored %d times (seqs %v)", s.name, len(seqs), seqs)
		}
		if s.acked && len(seqs) == 0 {
			t.Fatalf("acknowledged segment %s (%s) is not served", s.name, s.class)
		}
		if len(seqs) == 1 {
			s.found = true
			got := c.served[seqs[0]]
			switch {
			case s.class == "live" && !bytes.Equal(got, s.body):
				if prevClean { // only the first live segment after a slate is rebuilt (parameter sets in band)
					t.Fatalf("live segment %s served as seq %d with other bytes (%d vs %d)", s.name, seqs[0], len(got), len(s.body))
				}
				c.stats["rebuilt after slate"]++
			case s.class == "live":
				c.stats["live, identical bytes"]++
			}
		}
		if s.class == "paused" && (final || !s.checked) {
			s.checked = s.found
			// every served part within this segment's time range: no host video
			for seq, a := range audioStart {
				if a < s.tfdt[c.audioID] || a >= s.audioTo {
					continue
				}
				// The origin may keep the start of a segment arriving just
				// after the pause: arrival minus duration bounds its capture
				// (real-time source), and the program date time can be that
				// late right after a re-anchor (first segment, restart).
				keep := c.pausedBy.Sub(s.sentAt).Seconds() + 2 - origin.PauseMargin + 1.0/30
				for _, v := range s.video {
					if v.at < keep {
						if bytes.Contains(c.served[seq], v.data) {
							c.stats["paused, kept video from before the pause (arrival bound)"]++
						}
						continue
					}
					if bytes.Contains(c.served[seq], v.data) {
						where := "archive"
						if listed[seq] {
							where = "live playlist"
						}
						t.Fatalf("segment %d (%s) serves host video of %s, sent while paused", seq, where, s.name)
					}
				}
			}
			if s.found {
				c.stats["paused, served as slate + host audio"]++
			}
		}
		if s.class == "transition" && s.found {
			c.stats["after resume, served"]++
		}
		if s.found {
			prevClean = s.class == "live"
		}
	}
}

func (c *crashClient) report(t *testing.T, rounds int, took time.Duration) {
	acked, found := 0, 0
	for _, s := range c.segs {
		if s.acked {
			acked++
		}
		if s.found {
			found++
		}
	}
	t.Logf("%d rounds of SIGKILL in %v: %d segments sent, %d acknowledged, %d served; %d lost in flight; %d pauses, %d resumes; %d playlist reloads checked; %v",
		rounds, took.Round(time.Millisecond), len(c.segs), acked, found, c.lost, c.pauseOps, c.resumeOps, c.reloads, c.stats)
	if c.pauseOps == 0 || c.stats["paused, served as slate + host audio"] == 0 {
		t.Errorf("no segment was ingested while paused: the test proved nothing about the pause")
	}
}

// videoSamples returns the video samples of a segment that are large
// enough to be unique (>= 200 bytes).
// videoSample is a host video sample and its offset in its 2 s segment.
type videoSample struct {
	data []byte
	at   float64 // seconds from the segment's start (decode order)
}

func videoSamples(t *testing.T, b []byte, videoID uint32) []videoSample {
	f, err := mp4.DecodeFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out []videoSample
	n := 0
	for _, seg := range f.Segments {
		for _, frag := range seg.Fragments {
			for _, traf := range frag.Moof.Trafs {
				if traf.Tfhd.TrackID != videoID {
					continue
				}
				for _, trun := range traf.Truns {
					off := int(frag.Moof.StartPos) + int(trun.DataOffset)
					for _, smp := range trun.Samples {
						size := int(smp.Size)
						if size == 0 && traf.Tfhd.HasDefaultSampleSize() {
							size = int(traf.Tfhd.DefaultSampleSize)
						}
						if size >= 200 && off+size <= len(b) {
							out = append(out, videoSample{data: b[off : off+size], at: float64(n)})
						}
						off += size
						n++
					}
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no video samples found in a fixture segment")
	}
	for i := range out {
		out[i].at *= 2.0 / float64(n)
	}
	return out
}
