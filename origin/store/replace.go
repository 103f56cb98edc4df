package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/dgraph-io/badger/v4"
)

// ReplaceSegment overwrites a stored segment: its index entry then points
// at data (nil: no bytes at all, a withdrawn segment) with meta, and the
// blob it pointed at before is deleted, so the old bytes are not readable
// through any key. The swap of the index entry is one meta txn, which also
// records the old blob in a trash key; the blob is deleted after it (and
// by Open, when a crash came in between). Deleted values leave the disk
// when Badger compacts the bucket or the bucket is pruned.
func (s *Store) ReplaceSegment(ch, rend string, seq uint64, meta, data []byte) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	k, err := segmentKey(ch, rend, seq)
	if err != nil {
		return fmt.Errorf("replace segment: %w", err)
	}
	v, err := s.get("replace segment", k)
	if err != nil {
		return err
	}
	old, err := decodeRef(v)
	if err != nil {
		return fmt.Errorf("replace segment: %w", err)
	}
	ref := SegmentRef{Bucket: old.Bucket, At: old.At, sum: crc32.Checksum(nil, castagnoli)}
	if data != nil {
		if ref, err = s.putBlob("replace segment", k, old.At, data); err != nil {
			return err
		}
	}
	ref.Meta = meta
	trash := trashKey(old.Bucket, blobKey(k, old.nonce))
	err = s.update("replace segment", func(txn *badger.Txn) error {
		if err := txn.Set(k, ref.encode()); err != nil {
			return err
		}
		if ref.Bucket != old.Bucket {
			if err := txn.Delete(memberKey(old.Bucket, k)); err != nil {
				return err
			}
		}
		if err := txn.Set(memberKey(ref.Bucket, k), nil); err != nil {
			return err
		}
		return txn.Set(trash, nil)
	})
	if err != nil {
		return err
	}
	return s.emptyTrash()
}

// SetSegmentMeta rewrites the caller's metadata of a stored segment (its
// bytes stay).
func (s *Store) SetSegmentMeta(ch, rend string, seq uint64, meta []byte) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	k, err := segmentKey(ch, rend, seq)
	if err != nil {
		return fmt.Errorf("set segment meta: %w", err)
	}
	return s.update("set segment meta", func(txn *badger.Txn) error {
		ref, err := getRef(txn, k)
		if err != nil {
			return err
		}
		ref.Meta = meta
		return txn.Set(k, ref.encode())
	})
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
