package store

import (
	"encoding/binary"
	"fmt"
	"time"
)

// refBatch bounds how many index entries SegmentRefs reads per txn; the
// callback runs outside any txn or lock, so it may call the store.
const refBatch = 256

// PutSegment stores a media segment: the blob in the bucket for at (one
// txn), then the index entry in meta (one txn, the commit point). It returns
// nil only when both committed. at outside the current and previous bucket
// (encoder clock skew) is stored in the current bucket.
func (s *Store) PutSegment(ch, rend string, seq uint64, at time.Time, meta []byte, data []byte) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	k, err := segmentKey(ch, rend, seq)
	if err != nil {
		return fmt.Errorf("put segment: %w", err)
	}
	return s.putBlobRef("put segment", k, at, meta, data)
}

// Segment returns a copy of a segment's bytes with its index entry.
// A segment whose bucket was pruned is ErrNotFound.
func (s *Store) Segment(ch, rend string, seq uint64) ([]byte, SegmentRef, error) {
	if err := s.enter(); err != nil {
		return nil, SegmentRef{}, err
	}
	defer s.leave()
	k, err := segmentKey(ch, rend, seq)
	if err != nil {
		return nil, SegmentRef{}, fmt.Errorf("get segment: %w", err)
	}
	data, ref, err := s.readBlobRef("get segment", k)
	ref.Seq = seq
	return data, ref, err
}

// SegmentRefs calls fn for each index entry of a rendition with Seq >=
// fromSeq, in seq order, until fn returns false. Entries are read in small
// batches; fn runs outside store locks and may call the store.
func (s *Store) SegmentRefs(ch, rend string, fromSeq uint64, fn func(SegmentRef) bool) error {
	p, err := joinKey(preSegment, ch, rend)
	if err != nil {
		return fmt.Errorf("list segments: %w", err)
	}
	for {
		refs, err := s.refBatch(p, fromSeq)
		if err != nil || len(refs) == 0 {
			return err
		}
		for _, r := range refs {
			if !fn(r) {
				return nil
			}
		}
		last := refs[len(refs)-1].Seq
		if len(refs) < refBatch || last == ^uint64(0) {
			return nil
		}
		fromSeq = last + 1
	}
}

func (s *Store) refBatch(prefix []byte, fromSeq uint64) ([]SegmentRef, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []SegmentRef
	var derr error
	seek := binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), fromSeq)
	err := s.scan("list segments", prefix, seek, func(k, v []byte) bool {
		r, err := decodeRef(v)
		if err != nil {
			derr = fmt.Errorf("segment key %q: %w", k, err)
			return false
		}
		r.Seq = binary.BigEndian.Uint64(k[len(prefix):])
		out = append(out, r)
		return len(out) < refBatch
	})
	if err == nil {
		err = derr
	}
	return out, err
}

// DeleteSegment removes a segment's index entry; its bytes go with their
// bucket. A missing segment is no error.
func (s *Store) DeleteSegment(ch, rend string, seq uint64) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	k, err := segmentKey(ch, rend, seq)
	if err != nil {
		return fmt.Errorf("delete segment: %w", err)
	}
	return s.deleteRef("delete segment", k)
}
