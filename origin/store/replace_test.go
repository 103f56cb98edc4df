package store

import (
	"bytes"
	"errors"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// blobReadable reports whether the blob a ref pointed at is still in its bucket.
func blobReadable(t *testing.T, s *Store, ch, rend string, seq uint64, ref SegmentRef) bool {
	t.Helper()
	k, _ := segmentKey(ch, rend, seq)
	b, err := s.bk.acquire(ref.Bucket, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.bk.release(b)
	err = b.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(blobKey(k, ref.nonce))
		return err
	})
	if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestReplaceSegmentDeletesOldBytes(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s := openTest(t, Options{Dir: dir, Now: clk.Now})
	host, spliced := payload(1, 100_000), payload(2, 90_000)
	if err := s.PutSegment("c", "r", 7, t0, []byte("m1"), host); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSegment("c", "r", 8, t0, []byte("m8"), payload(8, 1000)); err != nil {
		t.Fatal(err)
	}
	_, old, _ := s.Segment("c", "r", 7)
	if err := s.ReplaceSegment("c", "r", 7, []byte("m2"), spliced); err != nil {
		t.Fatal(err)
	}
	got, ref, err := s.Segment("c", "r", 7)
	if err != nil || !bytes.Equal(got, spliced) || string(ref.Meta) != "m2" {
		t.Fatalf("after replace: %v, %d bytes, meta %q", err, len(got), ref.Meta)
	}
	if blobReadable(t, s, "c", "r", 7, old) {
		t.Error("the replaced bytes are still readable in their bucket")
	}
	// Withdrawn: no bytes at all; the index entry stays (numbering, prune).
	_, before, _ := s.Segment("c", "r", 8)
	if err := s.ReplaceSegment("c", "r", 8, []byte("w"), nil); err != nil {
		t.Fatal(err)
	}
	if blobReadable(t, s, "c", "r", 8, before) {
		t.Error("withdrawn bytes still readable")
	}
	var metas []string
	s.SegmentRefs("c", "r", 0, func(r SegmentRef) bool { metas = append(metas, string(r.Meta)); return true })
	if len(metas) != 2 || metas[1] != "w" {
		t.Errorf("index after withdrawal: %q", metas)
	}
	if err := s.SetSegmentMeta("c", "r", 7, []byte("m3")); err != nil {
		t.Fatal(err)
	}
	if got, ref, _ := s.Segment("c", "r", 7); !bytes.Equal(got, spliced) || string(ref.Meta) != "m3" {
		t.Errorf("set meta changed bytes or kept meta %q", ref.Meta)
	}
	if ks, _ := s.keys("trash", []byte{preTrash[0], sep}); len(ks) != 0 {
		t.Errorf("%d trash keys left", len(ks))
	}
	if err := s.SetSegmentMeta("c", "r", 99, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("meta of a missing segment: %v", err)
	}
}

// TestReplaceSegmentsShifts: one batch splits seq 1 in two and moves seq 2
// to 3 (copied bytes), adding a sequence number; every old blob is gone.
func TestReplaceSegmentsShifts(t *testing.T) {
	s := openTest(t, Options{Now: newClock(t0).Now})
	old := map[uint64]SegmentRef{}
	for seq := uint64(0); seq < 3; seq++ {
		if err := s.PutSegment("c", "r", seq, t0, []byte{byte(seq)}, payload(seq, 4000)); err != nil {
			t.Fatal(err)
		}
		_, old[seq], _ = s.Segment("c", "r", seq)
	}
	puts := []SegmentPut{
		{Seq: 1, Meta: []byte("live part"), Data: payload(10, 1000)},
		{Seq: 2, Meta: []byte("slate part"), Data: payload(11, 900)},
		{Seq: 3, Meta: []byte("moved"), Data: payload(2, 4000), At: t0},
	}
	if err := s.ReplaceSegments("c", "r", puts); err != nil {
		t.Fatal(err)
	}
	for _, p := range puts {
		got, ref, err := s.Segment("c", "r", p.Seq)
		if err != nil || !bytes.Equal(got, p.Data) || string(ref.Meta) != string(p.Meta) {
			t.Errorf("seq %d: %v, meta %q", p.Seq, err, ref.Meta)
		}
	}
	for _, seq := range []uint64{1, 2} {
		if blobReadable(t, s, "c", "r", seq, old[seq]) {
			t.Errorf("old blob of seq %d still readable", seq)
		}
	}
	if got, _, _ := s.Segment("c", "r", 0); !bytes.Equal(got, payload(0, 4000)) {
		t.Error("seq 0 changed")
	}
}

// A crash between the index swap and the blob delete leaves a trash key:
// EmptyTrash (run at origin open) deletes the blob.
func TestEmptyTrashAfterCrash(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s := openTest(t, Options{Dir: dir, Now: clk.Now})
	if err := s.PutSegment("c", "r", 1, t0, nil, payload(3, 5000)); err != nil {
		t.Fatal(err)
	}
	_, old, _ := s.Segment("c", "r", 1)
	k, _ := segmentKey("c", "r", 1)
	if err := s.set("crash", trashKey(old.Bucket, blobKey(k, old.nonce)), nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTest(t, Options{Dir: dir, Now: clk.Now})
	if err := s.EmptyTrash(); err != nil {
		t.Fatal(err)
	}
	if blobReadable(t, s, "c", "r", 1, old) {
		t.Error("trashed blob survived EmptyTrash")
	}
}
