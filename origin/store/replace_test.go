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
	if err := s.ReplaceSegment("c", "r", 99, nil, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("replace of a missing segment: %v", err)
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
