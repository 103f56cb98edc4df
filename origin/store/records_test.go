package store

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

func fillMeta(t *testing.T, s *Store) {
	t.Helper()
	must(t, s.PutChannel("a", []byte(`{"id":"a"}`)))
	must(t, s.PutChannel("b", []byte(`{"id":"b"}`)))
	must(t, s.PutRendition("a", "v1", []byte("r1")))
	must(t, s.PutRendition("a", "v2", []byte("r2")))
	must(t, s.PutRendition("ab", "v9", []byte("other channel")))
	must(t, s.PutInit("a", "v1", 1, []byte("init1")))
	must(t, s.PutInit("a", "v1", 256, []byte("init256")))
	must(t, s.PutRecord("p", []string{"a", "p2"}, []byte("pause2"), true))
	must(t, s.PutRecord("p", []string{"a", "p1"}, []byte("pause1"), false))
	must(t, s.PutRecord("p", []string{"ab", "p1"}, []byte("not a"), false))
	must(t, s.PutStaged("a", "seg7.m4s", t0, []byte("h"), payload(7, 3000)))
	for seq := uint64(250); seq < 260; seq++ {
		must(t, s.PutSegment("a", "v1", seq, t0, []byte{byte(seq)}, payload(seq, 2000)))
	}
}

func checkMeta(t *testing.T, s *Store) {
	t.Helper()
	chs, err := s.Channels()
	must(t, err)
	want := map[string][]byte{"a": []byte(`{"id":"a"}`), "b": []byte(`{"id":"b"}`)}
	if !reflect.DeepEqual(chs, want) {
		t.Errorf("channels %q", chs)
	}
	rends, err := s.Renditions("a")
	must(t, err)
	if !reflect.DeepEqual(rends, map[string][]byte{"v1": []byte("r1"), "v2": []byte("r2")}) {
		t.Errorf("renditions %q", rends)
	}
	inits, err := s.Inits("a", "v1")
	must(t, err)
	if !reflect.DeepEqual(inits, map[uint32][]byte{1: []byte("init1"), 256: []byte("init256")}) {
		t.Errorf("inits %v", inits)
	}
	var recs []string
	must(t, s.Records("p", []string{"a"}, func(p []string, v []byte) bool {
		recs = append(recs, strings.Join(p, "/")+"="+string(v))
		return true
	}))
	if strings.Join(recs, ",") != "a/p1=pause1,a/p2=pause2" {
		t.Errorf("records %q", recs)
	}
	data, meta, at, err := s.Staged("a", "seg7.m4s")
	must(t, err)
	if string(meta) != "h" || !at.Equal(t0) || string(data) != string(payload(7, 3000)) {
		t.Errorf("staged meta %q at %v len %d", meta, at, len(data))
	}
	checkSeqs(t, s, "a", "v1", 252, []uint64{252, 253, 254, 255, 256, 257, 258, 259})
}

func checkSeqs(t *testing.T, s *Store, ch, rend string, from uint64, want []uint64) {
	t.Helper()
	var got []uint64
	must(t, s.SegmentRefs(ch, rend, from, func(r SegmentRef) bool {
		got = append(got, r.Seq)
		return true
	}))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("seqs from %d: %v, want %v", from, got, want)
	}
}

func TestMetaSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, Options{Dir: dir, Now: newClock(t0).Now})
	fillMeta(t, s)
	checkMeta(t, s)
	must(t, s.Close())
	s = openTest(t, Options{Dir: dir, Now: newClock(t0).Now})
	checkMeta(t, s)
}

func TestDeletes(t *testing.T) {
	s := openTest(t, Options{Now: newClock(t0).Now})
	fillMeta(t, s)
	must(t, s.DeleteSegment("a", "v1", 255))
	must(t, s.DeleteSegment("a", "v1", 9999)) // missing: no error
	checkSeqs(t, s, "a", "v1", 254, []uint64{254, 256, 257, 258, 259})
	must(t, s.DeleteStaged("a", "seg7.m4s"))
	if names, _ := s.StagedNames("a"); len(names) != 0 {
		t.Errorf("staged after delete: %v", names)
	}
	must(t, s.DeleteRecord("p", []string{"a", "p1"}))
	if _, err := s.Record("p", []string{"a", "p1"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("record after delete: %v", err)
	}
	must(t, s.DeleteChannel("a"))
	rends, _ := s.Renditions("a")
	other, _ := s.Renditions("ab")
	if _, err := s.Channel("a"); !errors.Is(err, ErrNotFound) || len(rends) != 0 || len(other) != 1 {
		t.Errorf("after DeleteChannel: err %v rends %v other %v", err, rends, other)
	}
	checkSeqs(t, s, "a", "v1", 0, nil)
}

func TestSegmentRefsBatchesAndStops(t *testing.T) {
	s := openTest(t, Options{Now: newClock(t0).Now})
	const n = refBatch*2 + 7
	for seq := uint64(0); seq < n; seq++ {
		must(t, s.PutSegment("c", "r", seq, t0, nil, []byte("x")))
	}
	count := 0
	must(t, s.SegmentRefs("c", "r", 0, func(r SegmentRef) bool {
		if r.Seq != uint64(count) {
			t.Fatalf("ref %d has seq %d", count, r.Seq)
		}
		count++
		_, _, err := s.Segment("c", "r", r.Seq) // callbacks may use the store
		return err == nil && count < n-1
	}))
	if count != n-1 {
		t.Fatalf("visited %d refs, want %d", count, n-1)
	}
}

func TestRefusesNewerStorageVersion(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, Options{Dir: dir})
	must(t, s.Close())
	db, err := badger.Open(badger.DefaultOptions(filepath.Join(dir, "meta")).WithLogger(nil))
	must(t, err)
	must(t, db.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte(keyVersion), binary.BigEndian.AppendUint32(nil, storageVersion+1))
	}))
	must(t, db.Close())
	_, err = Open(Options{Dir: dir, Logger: quietLogger()})
	if !errors.Is(err, ErrNewerVersion) || !strings.Contains(err.Error(), "found version 2") {
		t.Fatalf("open newer data: %v", err)
	}
}

func TestLateTimestampGoesToCurrentBucket(t *testing.T) {
	clk := newClock(t0.Add(5 * time.Hour))
	s := openTest(t, Options{Now: clk.Now})
	for i, at := range []time.Time{{}, t0, clk.Now().Add(48 * time.Hour)} {
		must(t, s.PutSegment("c", "r", uint64(i), at, nil, payload(1, 5000)))
		_, ref, err := s.Segment("c", "r", uint64(i))
		must(t, err)
		if ref.Bucket != t0.Add(5*time.Hour).Unix() || !ref.At.Equal(at) {
			t.Errorf("at %v stored in bucket %d (at %v)", at, ref.Bucket, ref.At)
		}
	}
}
