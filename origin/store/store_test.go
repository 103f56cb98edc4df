package store

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSegmentRoundTrip(t *testing.T) {
	s := openTest(t, Options{})
	for _, n := range []int{0, 100, 50 << 10, 2 << 20} {
		data := payload(uint64(n), n)
		at := time.Now().Round(time.Millisecond)
		if err := s.PutSegment("ch1", "v720", uint64(n), at, []byte(`{"d":2}`), data); err != nil {
			t.Fatalf("put %d: %v", n, err)
		}
		got, ref, err := s.Segment("ch1", "v720", uint64(n))
		if err != nil {
			t.Fatalf("get %d: %v", n, err)
		}
		if !bytes.Equal(got, data) || ref.Size != n || ref.Seq != uint64(n) || !ref.At.Equal(at) || string(ref.Meta) != `{"d":2}` {
			t.Fatalf("size %d: got %d bytes, ref %+v", n, len(got), ref)
		}
	}
}

func TestReturnedSlicesAreCopies(t *testing.T) {
	s := openTest(t, Options{})
	data := payload(1, 64<<10)
	put := bytes.Clone(data)
	must(t, s.PutSegment("c", "r", 1, time.Now(), []byte("m"), put))
	put[0] ^= 0xff // the store must not keep the caller's slice either
	a, ra, err := s.Segment("c", "r", 1)
	must(t, err)
	a[0] ^= 0xff
	ra.Meta[0] = 'X'
	b, rb, err := s.Segment("c", "r", 1)
	must(t, err)
	if !bytes.Equal(b, data) || string(rb.Meta) != "m" {
		t.Fatal("mutating a returned slice changed stored data")
	}
	if &a[0] == &b[0] {
		t.Fatal("two reads returned the same backing array")
	}
}

func TestKeyValidation(t *testing.T) {
	s := openTest(t, Options{})
	cases := []struct {
		name string
		ok   bool
	}{
		{"a", true}, {"Ch_1.v-2", true}, {strings.Repeat("x", 64), true},
		{"", false}, {strings.Repeat("x", 65), false}, {"a/b", false},
		{"a b", false}, {"ü", false}, {"a\x00", false}, {"a:b", false},
	}
	for _, c := range cases {
		errs := []error{
			s.PutChannel(c.name, nil),
			s.PutRendition("ch", c.name, nil),
			s.PutInit(c.name, "r", 1, []byte("x")),
			s.PutSegment("ch", c.name, 1, time.Now(), nil, []byte("x")),
			s.PutStaged(c.name, "seg.m4s", time.Now(), nil, []byte("x")),
			s.PutRecord("p", []string{"ch", c.name}, nil, false),
		}
		for i, err := range errs {
			if c.ok && err != nil || !c.ok && !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%q call %d: err %v, want ok=%v", c.name, i, err, c.ok)
			}
		}
	}
}

func TestRecordKindsRegistered(t *testing.T) {
	s := openTest(t, Options{})
	if err := s.PutRecord("zz", []string{"a"}, nil, false); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("unregistered kind: %v", err)
	}
	if err := s.PutRecord("p", nil, nil, false); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("no parts: %v", err)
	}
	reserved := []string{keyVersion, preChannel, preRendition, preInit, preSegment, preStaged, preMember}
	for _, p := range reserved {
		if _, ok := recordKinds[p]; ok {
			t.Errorf("record kind %q collides with a schema prefix", p)
		}
	}
}

func TestMissingIsNotFound(t *testing.T) {
	s := openTest(t, Options{})
	_, _, err := s.Segment("c", "r", 9)
	_, err2 := s.Channel("c")
	_, err3 := s.Init("c", "r", 1)
	_, _, _, err4 := s.Staged("c", "x")
	_, err5 := s.Record("p", []string{"c"})
	for i, e := range []error{err, err2, err3, err4, err5} {
		if !errors.Is(e, ErrNotFound) {
			t.Errorf("call %d: %v, want ErrNotFound", i, e)
		}
	}
}

func TestClosedStore(t *testing.T) {
	s := openTest(t, Options{})
	must(t, s.Close())
	must(t, s.Close())
	if err := s.PutChannel("c", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("put after close: %v", err)
	}
	if _, _, err := s.Segment("c", "r", 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("get after close: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	bad := []Options{
		{},
		{Dir: "d", BucketSpan: 1500 * time.Millisecond},
		{Dir: "d", Retention: time.Minute, BucketSpan: time.Hour},
		{Dir: "d", MaxOpenBuckets: 1},
	}
	for i, o := range bad {
		if err := o.withDefaults().Validate(); err == nil {
			t.Errorf("case %d: %+v accepted", i, o)
		}
	}
	defaults := []struct{ retention, span time.Duration }{
		{0, time.Hour}, {48 * time.Hour, time.Hour}, {2 * time.Hour, 5 * time.Minute}, {time.Minute, 2 * time.Second},
	}
	for _, d := range defaults {
		o := Options{Dir: "d", Retention: d.retention}.withDefaults()
		if err := o.Validate(); err != nil || o.BucketSpan != d.span {
			t.Errorf("retention %v: span %v (%v), want %v", d.retention, o.BucketSpan, err, d.span)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestDiskFull(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, Options{Dir: dir})
	must(t, s.PutSegment("c", "r", 1, time.Now(), nil, payload(1, 5000)))
	must(t, s.Close())
	s = openTest(t, Options{Dir: dir, MinFreeBytes: 1 << 62}) // more than any disk has
	errs := []error{
		s.PutSegment("c", "r", 2, time.Now(), nil, payload(2, 5000)),
		s.PutStaged("c", "x.m4s", time.Now(), nil, []byte("x")),
		s.PutChannel("c", []byte("{}")),
		s.PutRecord("p", []string{"c", "1"}, nil, false),
		s.PutRecord("p", []string{"c", "2"}, make([]byte, reserveRecordMax+1), true),
	}
	for i, err := range errs {
		if !errors.Is(err, ErrDiskFull) {
			t.Errorf("write %d on a full disk: %v", i, err)
		}
	}
	// a small durable record (a pause: fail-closed state) uses the reserve
	if err := s.PutRecord("p", []string{"c", "3"}, []byte(`{"id":"p1"}`), true); err != nil {
		t.Errorf("durable record on a full disk: %v", err)
	}
	if _, _, err := s.Segment("c", "r", 1); err != nil {
		t.Errorf("reads must still work on a full disk: %v", err)
	}
	if _, _, err := s.Segment("c", "r", 2); !errors.Is(err, ErrNotFound) {
		t.Errorf("refused segment is indexed: %v", err)
	}
}

func TestWrapMapsENOSPC(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("write vlog: %w", syscall.ENOSPC),
		errors.New("sync: write /x/000001.sst: no space left on device"),
	} {
		if !errors.Is(wrap("op", err), ErrDiskFull) {
			t.Errorf("%v not mapped to ErrDiskFull", err)
		}
	}
	if errors.Is(wrap("op", errors.New("other")), ErrDiskFull) {
		t.Error("unrelated error mapped to ErrDiskFull")
	}
}
