package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// SegmentPut is one entry of ReplaceSegments.
type SegmentPut struct {
	Seq  uint64
	Meta []byte
	Data []byte    // the new bytes; nil: none (a withdrawn segment), unless Keep
	Keep bool      // keep the bytes stored at Seq, change only Meta
	At   time.Time // bucket time of a sequence number not stored yet
}

// ReplaceSegment overwrites one stored segment (see ReplaceSegments).
func (s *Store) ReplaceSegment(ch, rend string, seq uint64, meta, data []byte) error {
	return s.ReplaceSegments(ch, rend, []SegmentPut{{Seq: seq, Meta: meta, Data: data}})
}

// ReplaceSegments overwrites stored segments of a rendition at once (and
// adds the sequence numbers not stored yet): the new bytes are written
// first, then every index entry is swapped in one meta txn, which also
// records the blobs they pointed at in trash keys; those blobs are deleted
// after it (and by EmptyTrash after a crash in between). So the old bytes
// are not readable through any key afterwards, and a crash leaves either
// the old entries or the new ones, never a mix. Deleted values leave the
// disk when Badger compacts the bucket, or with the bucket at retention.
func (s *Store) ReplaceSegments(ch, rend string, puts []SegmentPut) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	type swap struct {
		key      []byte
		ref, old SegmentRef
		hadOld   bool
	}
	swaps := make([]swap, 0, len(puts))
	for _, p := range puts {
		k, err := segmentKey(ch, rend, p.Seq)
		if err != nil {
			return fmt.Errorf("replace segment: %w", err)
		}
		sw := swap{key: k}
		if v, err := s.get("replace segment", k); err == nil {
			if sw.old, err = decodeRef(v); err != nil {
				return fmt.Errorf("replace segment: %w", err)
			}
			sw.hadOld = true
		} else if !errors.Is(err, ErrNotFound) || p.Keep {
			return err
		} else {
			sw.old.At = p.At
		}
		switch {
		case p.Keep:
			sw.ref = sw.old
		case p.Data != nil:
			if sw.ref, err = s.putBlob("replace segment", k, sw.old.At, p.Data); err != nil {
				return err
			}
		default:
			sw.ref = SegmentRef{Bucket: s.bk.startOf(sw.old.At), At: sw.old.At, sum: crc32.Checksum(nil, castagnoli)}
			if sw.hadOld {
				sw.ref.Bucket = sw.old.Bucket
			}
		}
		sw.ref.Meta = p.Meta
		swaps = append(swaps, sw)
	}
	err := s.update("replace segments", func(txn *badger.Txn) error {
		for _, sw := range swaps {
			if err := txn.Set(sw.key, sw.ref.encode()); err != nil {
				return err
			}
			if sw.hadOld && sw.ref.Bucket != sw.old.Bucket {
				if err := txn.Delete(memberKey(sw.old.Bucket, sw.key)); err != nil {
					return err
				}
			}
			if err := txn.Set(memberKey(sw.ref.Bucket, sw.key), nil); err != nil {
				return err
			}
			if sw.hadOld && sw.ref.nonce != sw.old.nonce {
				if err := txn.Set(trashKey(sw.old.Bucket, blobKey(sw.key, sw.old.nonce)), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.emptyTrash()
}

// SetSegmentMeta rewrites the caller's metadata of a stored segment (its
// bytes stay).
func (s *Store) SetSegmentMeta(ch, rend string, seq uint64, meta []byte) error {
	return s.ReplaceSegments(ch, rend, []SegmentPut{{Seq: seq, Meta: meta, Keep: true}})
}

// EmptyTrash deletes the blobs that replaced segments left behind (a
// crash between the index swap and the delete). Open-time recovery.
func (s *Store) EmptyTrash() error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.emptyTrash()
}

func (s *Store) emptyTrash() error {
	keys, err := s.keys("list trash", []byte{preTrash[0], sep})
	if err != nil {
		return err
	}
	for _, t := range keys {
		bucket := int64(binary.BigEndian.Uint64(t[2:]))
		b, err := s.bk.acquire(bucket, false)
		if err == nil {
			err = wrap("delete replaced blob", b.db.Update(func(txn *badger.Txn) error { return txn.Delete(t[2+8:]) }))
			s.bk.release(b)
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err // the bucket is gone with its blobs when pruned: nothing left then
		}
		if err := s.deleteKeys("delete trash key", [][]byte{t}); err != nil {
			return err
		}
	}
	return nil
}

func trashKey(bucket int64, blob []byte) []byte {
	k := binary.BigEndian.AppendUint64([]byte{preTrash[0], sep}, uint64(bucket))
	return append(k, blob...)
}
