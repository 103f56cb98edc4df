package store

import (
	"errors"
	"fmt"
	"testing"
)

// TestPutRecords: a batch larger than one transaction lands whole and in
// order, survives a reopen, a bad key refuses the whole batch before
// anything is written, and a closed store says so.
func TestPutRecords(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, Options{Dir: dir})
	var recs []RecordPut
	for i := range 2500 {
		recs = append(recs, RecordPut{Parts: []string{"ch", "p1", fmt.Sprintf("%020d", i)}, Val: []byte(fmt.Sprint(i))})
	}
	if err := s.PutRecords("vt", recs, false); err != nil {
		t.Fatal(err)
	}
	bad := []RecordPut{{Parts: []string{"ch", "p2", "ok"}, Val: []byte("x")}, {Parts: []string{"ch", "p2", "a/b"}, Val: []byte("y")}}
	if err := s.PutRecords("vt", bad, true); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("bad key: %v", err)
	}
	if err := s.PutRecords("nope", recs[:1], false); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("unregistered kind: %v", err)
	}
	if err := s.PutRecords("vt", nil, true); err != nil {
		t.Fatalf("empty durable batch (a sync): %v", err)
	}
	s.Close()
	if err := s.PutRecords("vt", recs[:1], false); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed store: %v", err)
	}
	s = openTest(t, Options{Dir: dir})
	n := 0
	err := s.Records("vt", []string{"ch"}, func(parts []string, val []byte) bool {
		if parts[1] != "p1" || string(val) != fmt.Sprint(n) {
			t.Fatalf("record %d: %v %q", n, parts, val)
		}
		n++
		return true
	})
	if err != nil || n != len(recs) {
		t.Fatalf("read back %d of %d: %v", n, len(recs), err)
	}
}
