package slatelib

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"hlsorigin/origin"
)

// TestConvertBounds: a conversion over its time bound is rejected with the
// reason and keeps no media; with one job and no queue, an upload while
// another converts is refused (429) with nothing stored; under a tiny
// address-space limit ffmpeg cannot run and the slate is rejected.
func TestConvertBounds(t *testing.T) {
	cc := needConverter(t)
	o := openTest(t, t.TempDir(), newClock())
	defer o.Close()
	defer o.lib.Close()
	ch := newTestChannel(t, o, "bounds")
	phone := makeInput(t, "phone")
	settle := func(cfg ConvertConfig) Meta {
		t.Helper()
		if err := o.lib.Configure(Config{Convert: cfg}); err != nil {
			t.Fatal(err)
		}
		m, err := o.lib.Upload(ch, phone, UploadInfo{Title: "phone"})
		if err != nil {
			t.Fatal(err)
		}
		return waitSettled(t, o.lib, m.ID)
	}
	slow := cc
	slow.Timeout = 50 * time.Millisecond
	if m := settle(slow); m.Status != Rejected || !strings.Contains(m.Reason, "longer than 50ms") {
		t.Errorf("over the time bound: %s %q", m.Status, m.Reason)
	}
	small := cc
	small.MemoryBytes = 16 << 20
	small.ProbeTimeout = time.Minute
	if err := o.lib.Configure(Config{Convert: small}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.lib.Upload(ch, phone, UploadInfo{Title: "phone"}); !errors.Is(err, ErrBadMedia) {
		t.Errorf("ffprobe under 16 MiB: %v, want a refusal", err) // the probe runs under the same limit
	}
	one := cc
	one.Jobs, one.Queue = 1, -1
	if err := o.lib.Configure(Config{Convert: one}); err != nil {
		t.Fatal(err)
	}
	first, err := o.lib.Upload(ch, phone, UploadInfo{Title: "first"})
	if err != nil {
		t.Fatal(err)
	}
	before := slateRecords(t, o.Origin)
	if _, err := o.lib.Upload(ch, phone, UploadInfo{Title: "second"}); !errors.Is(err, ErrRateLimited) {
		t.Errorf("second upload while one converts: %v, want rate limited", err)
	}
	if after := slateRecords(t, o.Origin); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("records %v -> %v after a refused upload", before, after)
	}
	if got := o.lib.pick(ch, first.ID); got.ID != origin.DefaultSlateID || !strings.Contains(got.Reason, "still converting") {
		t.Errorf("pause naming a converting slate: %+v", got)
	}
	if m := waitSettled(t, o.lib, first.ID); m.Status != Approved {
		t.Errorf("first: %s %q", m.Status, m.Reason)
	}
	if got := o.lib.pick(ch, first.ID); got.ID != first.ID {
		t.Errorf("pause naming the converted slate: %+v", got)
	}
	if n := slateRecords(t, o.Origin); n["v"] != 1 || n["x"] != len(Ladder)-1 || n["a"] != 1 {
		t.Errorf("media records %v, want the approved slate's only (the ladder's variants, audio)", n)
	}
}

// TestConversionInterruptedByRestart: a slate still converting when the
// process died is rejected at the next start (upload again), never left
// "processing" for ever.
func TestConversionInterruptedByRestart(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	o := openTest(t, dir, c)
	ch := newTestChannel(t, o, "restart")
	m := Meta{ID: "sdead", Owner: ch.ID(), Title: "photo", Tags: []string{}, Status: Processing, Source: "png", CreatedAt: c.Now()}
	if err := o.lib.saveMeta(m); err != nil {
		t.Fatal(err)
	}
	o.lib.Close()
	o.Close()
	o = openTest(t, dir, c)
	got, err := o.lib.Meta("sdead")
	if err != nil || got.Status != Rejected || !strings.Contains(got.Reason, "interrupted by a restart") {
		t.Errorf("after restart: %+v %v", got, err)
	}
	o.Close()
	o = openTest(t, dir, c) // the rejection is stored, not recomputed
	defer o.Close()
	if got, _ := o.lib.Meta("sdead"); got.Status != Rejected {
		t.Errorf("after a second restart: %+v", got)
	}
}
