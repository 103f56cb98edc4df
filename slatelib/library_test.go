package slatelib

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/fixtures"
	"hlsorigin/origin"
	"hlsorigin/segments"
	"hlsorigin/slate"
)

func uploadFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../slate/testdata/upload/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pauseWith(t *testing.T, ch *origin.Channel, c *clock, slateID string) origin.SlateChoice {
	t.Helper()
	p, err := ch.Pause(origin.PauseRequest{Slate: slateID})
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	if _, err := ch.Resume(nil); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	return p.Slate
}

// TestSlateSelection walks the selection rules of a pause: requested
// (approved, rejected, pending, unknown, another channel's), the channel
// default, topic matching over title/chat/history, the default slate; and
// that the library survives a restart.
func TestSlateSelection(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	o := openTest(t, dir, c)
	lib := o.Slates()
	if err := lib.Configure(Config{Blocklist: []string{"casino", "赌博"}}); err != nil {
		t.Fatal(err)
	}
	ch := newTestChannel(t, o, "host")
	other := newTestChannel(t, o, "other")

	ok, err := lib.Upload(ch, uploadFile(t, "progressive_aac.mp4"), UploadInfo{Title: "My BRB", Tags: []string{"brb"}})
	if err != nil || ok.Status != Approved {
		t.Fatalf("upload: %v %+v", err, ok)
	}
	bad, err := lib.Upload(ch, uploadFile(t, "progressive_aac.mp4"), UploadInfo{Title: "Night", Tags: []string{"Casino Night"}})
	if err != nil || bad.Status != Rejected || !strings.Contains(bad.Reason, "casino") {
		t.Fatalf("blocked upload: %v %+v", err, bad)
	}
	badZh, err := lib.Upload(ch, uploadFile(t, "progressive_aac.mp4"), UploadInfo{Title: "今晚 赌 博 直播"})
	if err != nil || badZh.Status != Rejected || !strings.Contains(badZh.Reason, "赌博") {
		t.Fatalf("blocked zh upload: %v %+v", err, badZh)
	}
	if _, err := o.Store().Record("sl", []string{"v", bad.ID}); err == nil {
		t.Error("media of a rejected slate is stored")
	}
	theirs, err := lib.Upload(other, uploadFile(t, "progressive_aac.mp4"), UploadInfo{Title: "theirs"})
	if err != nil {
		t.Fatal(err)
	}
	pending := Meta{ID: "spending", Owner: ch.ID(), Title: "p", Status: Pending, CreatedAt: c.Now()}
	if err := lib.saveMeta(pending); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ requested, id, reason string }{
		{ok.ID, ok.ID, "requested"},
		{bad.ID, origin.DefaultSlateID, "requested slate \"" + bad.ID + "\" rejected: blocked term \"casino\"; default used"},
		{"spending", origin.DefaultSlateID, "requested slate \"spending\" is pending moderation; default used"},
		{"nope", origin.DefaultSlateID, "requested slate \"nope\" not found; default used"},
		{theirs.ID, origin.DefaultSlateID, "requested slate \"" + theirs.ID + "\" belongs to another channel; default used"},
		{"gaming", "gaming", "requested"},
	} {
		if got := pauseWith(t, ch, c, tc.requested); got.ID != tc.id || got.Reason != tc.reason {
			t.Errorf("requested %s: got %+v, want %s %q", tc.requested, got, tc.id, tc.reason)
		}
	}

	// Topic matching on the title, then on chat, then the channel default.
	if got := pauseWith(t, ch, c, ""); got.ID != origin.DefaultSlateID || got.Reason != "default" {
		t.Errorf("nothing to match: %+v", got)
	}
	if err := ch.SetTitle("今天做红烧肉"); err != nil {
		t.Fatal(err)
	}
	if got := pauseWith(t, ch, c, ""); got.ID != "food" || got.Reason != "matched food (0.37)" {
		t.Errorf("cooking title: %+v", got)
	}
	if err := ch.SetTitle("Friday night"); err != nil {
		t.Fatal(err)
	}
	_, v, _ := o.aud.IssueViewer()
	for _, msg := range []string{"gg that boss fight was insane", "what level are you", "开黑吗", "nice speedrun"} {
		if _, err := o.aud.Chat(ch, v, msg); err != nil {
			t.Fatal(err)
		}
	}
	got := pauseWith(t, ch, c, "")
	if got.ID != "gaming" || !strings.HasPrefix(got.Reason, "matched gaming (") {
		t.Errorf("game chat: %+v", got)
	}
	exp := lib.Match(ch, 3)
	if exp.Ranking[0].ID != "gaming" || len(exp.Ranking[0].Terms) == 0 || exp.Sources.Chat != 4 || exp.Sources.History < 2 {
		t.Errorf("explanation: %+v", exp)
	}
	if err := lib.Configure(Config{MatchThreshold: 0.9, MatchMin: 0.05}); err != nil {
		t.Fatal(err)
	}
	if got := pauseWith(t, ch, c, ""); got.ID != "gaming" || !strings.HasPrefix(got.Reason, "best match gaming (") ||
		!strings.Contains(got.Reason, "below threshold 0.90") {
		t.Errorf("below threshold: %+v", got)
	}
	if err := lib.Configure(Config{MatchThreshold: 0.95, MatchMin: 0.9}); err != nil {
		t.Fatal(err)
	}
	if got := pauseWith(t, ch, c, ""); got.ID != origin.DefaultSlateID || got.Reason != "default" {
		t.Errorf("below minimum: %+v", got)
	}
	if err := lib.SetChannelDefault(ch, bad.ID); err == nil {
		t.Error("a rejected slate became the channel default")
	}
	if err := lib.SetChannelDefault(ch, ok.ID); err != nil {
		t.Fatal(err)
	}
	if got := pauseWith(t, ch, c, ""); got.ID != ok.ID || got.Reason != "channel default" {
		t.Errorf("channel default: %+v", got)
	}

	// History: title changes and channel tags are kept, and everything
	// survives a restart.
	if err := lib.SetChannelTags(ch, []string{"篮球", "NBA"}); err != nil {
		t.Fatal(err)
	}
	hist := lib.History(ch)
	if len(hist) < 3 || hist[0].Title != "今天做红烧肉" || hist[len(hist)-1].Tags[1] != "NBA" {
		t.Errorf("history: %+v", hist)
	}
	o.Close()
	o2 := openTest(t, dir, c)
	defer o2.Close()
	ch2, _ := o2.Channel("host")
	lib2 := o2.Slates()
	if got := lib2.History(ch2); len(got) != len(hist) {
		t.Errorf("history after restart: %d entries, want %d", len(got), len(hist))
	}
	if lib2.ChannelDefault(ch2) != ok.ID {
		t.Errorf("channel default lost on restart")
	}
	if got := pauseWith(t, ch2, c, ok.ID); got.ID != ok.ID {
		t.Errorf("uploaded slate after restart: %+v", got)
	}
	if got := pauseWith(t, ch2, c, bad.ID); got.ID != origin.DefaultSlateID {
		t.Errorf("rejected slate after restart: %+v", got)
	}
	if n := len(lib2.ChannelSlates(ch2)); n != 4 {
		t.Errorf("%d host slates after restart, want 4", n)
	}
}

// TestUploadedSlateInEveryRendition: an uploaded slate whose resolution
// and timescale differ from every rendition is spliced into each video
// rendition of an ABR ladder: the slate part decodes with a combined init
// carrying the uploaded slate's SPS and size, and holds its frames.
func TestUploadedSlateInEveryRendition(t *testing.T) {
	c := newClock()
	o := openTest(t, t.TempDir(), c)
	defer o.Close()
	ch := newTestChannel(t, o, "abr")
	file := uploadFile(t, "slate_426x240.mp4")
	m, err := o.Slates().Upload(ch, file, UploadInfo{Title: "teal"})
	if err != nil || m.Status != Approved || m.Width != 426 || m.Height != 240 {
		t.Fatalf("upload: %v %+v", err, m)
	}
	stored, err := o.Slates().Media(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	up, err := slate.Load("u", stored)
	if err != nil {
		t.Fatal(err)
	}
	def, _ := slate.Load("d", mustSlate(t))
	abr := fixtures.ABR()
	for _, r := range abr {
		ingestOK(t, ch, r.InitName, r.Init)
	}
	publishStep := func(k int) {
		c.Advance(2 * time.Second)
		for _, r := range abr {
			ingestOK(t, ch, r.SegmentNames[k], r.Segments[k])
			ingestOK(t, ch, r.PlaylistName, playlistFor(r, k))
		}
	}
	publishStep(0)
	p, err := ch.Pause(origin.PauseRequest{Slate: m.ID})
	if err != nil || p.Slate.ID != m.ID {
		t.Fatalf("pause: %v %+v", err, p)
	}
	publishStep(1)
	publishStep(2)
	videos := 0
	for _, r := range ch.Renditions() {
		if r.Info().Kind != "video" {
			continue
		}
		videos++
		slates := 0
		for _, s := range r.Segments() {
			if s.Kind != "slate" {
				continue
			}
			slates++
			raw, err := r.Init(s.InitVer)
			if err != nil {
				t.Fatal(err)
			}
			in, err := segments.ParseInit(raw)
			if err != nil {
				t.Fatal(err)
			}
			vt, _ := in.Video()
			if vt.Width != 426 || vt.Height != 240 || vt.Timescale != up.Timescale {
				t.Errorf("%s: slate init video %dx%d ts %d, want 426x240 ts %d", r.Name(), vt.Width, vt.Height, vt.Timescale, up.Timescale)
			}
			if r.Info().Width == 426 {
				t.Fatalf("test needs renditions unlike the slate")
			}
			data, _, err := r.Segment(s.Seq)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, up.Samples[0].Data) {
				t.Errorf("%s seg %d: the uploaded slate's IDR is not in the slate part", r.Name(), s.Seq)
			}
			if bytes.Contains(data, def.Samples[0].Data) {
				t.Errorf("%s seg %d: the default slate is in the slate part", r.Name(), s.Seq)
			}
			f, err := mp4.DecodeFile(bytes.NewReader(append(append([]byte(nil), raw...), data...)))
			if err != nil || len(f.Segments) == 0 {
				t.Errorf("%s seg %d: init + part do not decode: %v", r.Name(), s.Seq, err)
			}
		}
		if slates == 0 {
			t.Errorf("%s: no slate segment", r.Name())
		}
	}
	if videos != 2 {
		t.Errorf("%d video renditions, want 2", videos)
	}
}

func mustSlate(t *testing.T) []byte {
	b, err := fixtures.Slate(360)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
