package store

import (
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"time"

	"github.com/dgraph-io/badger/v4"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// putBlobRef writes data into a bucket, then the ref (and the bucket
// membership key Prune needs) under indexKey in meta.
func (s *Store) putBlobRef(op string, indexKey []byte, at time.Time, meta, data []byte) error {
	ref, err := s.putBlob(op, indexKey, at, data)
	if err != nil {
		return err
	}
	ref.Meta = meta
	return wrap(op, s.meta.Update(func(txn *badger.Txn) error {
		if err := txn.Set(indexKey, ref.encode()); err != nil {
			return err
		}
		return txn.Set(memberKey(ref.Bucket, indexKey), nil)
	}))
}

// putBlob commits data in one bucket txn and returns the ref to index.
func (s *Store) putBlob(op string, indexKey []byte, at time.Time, data []byte) (SegmentRef, error) {
	if err := s.disk.check(len(data)); err != nil {
		return SegmentRef{}, fmt.Errorf("%s: %w", op, err)
	}
	start, err := s.bk.writeTarget(at)
	if err != nil {
		return SegmentRef{}, fmt.Errorf("%s: %w", op, err)
	}
	b, err := s.bk.acquire(start, true)
	if err != nil {
		return SegmentRef{}, fmt.Errorf("%s: %w", op, err)
	}
	defer s.bk.release(b)
	ref := SegmentRef{Bucket: start, Size: len(data), At: at,
		sum: crc32.Checksum(data, castagnoli), nonce: rand.Uint64()}
	err = b.db.Update(func(txn *badger.Txn) error {
		return txn.Set(blobKey(indexKey, ref.nonce), data)
	})
	if err == nil {
		b.written.Add(int64(len(data)))
	}
	return ref, wrap(op, err)
}

// readBlobRef loads the ref at indexKey and a verified copy of its blob.
func (s *Store) readBlobRef(op string, indexKey []byte) ([]byte, SegmentRef, error) {
	v, err := s.get(op, indexKey)
	if err != nil {
		return nil, SegmentRef{}, err
	}
	ref, err := decodeRef(v)
	if err != nil {
		return nil, SegmentRef{}, fmt.Errorf("%s: %w", op, err)
	}
	data, err := s.readBlob(ref, indexKey)
	if err != nil {
		return nil, SegmentRef{}, fmt.Errorf("%s: %w", op, err)
	}
	return data, ref, nil
}

// readBlob copies the blob out of its bucket. The copy is required: a
// Badger value slice (mmapped vlog) is only valid inside its txn, and the
// HTTP layer keeps response bytes after we return.
func (s *Store) readBlob(ref SegmentRef, indexKey []byte) ([]byte, error) {
	b, err := s.bk.acquire(ref.Bucket, false)
	if err != nil {
		return nil, err
	}
	defer s.bk.release(b)
	var data []byte
	err = b.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get(blobKey(indexKey, ref.nonce))
		if err != nil {
			return err
		}
		data, err = it.ValueCopy(make([]byte, 0, ref.Size))
		return err
	})
	if err != nil {
		return nil, wrap(fmt.Sprintf("bucket %d", ref.Bucket), err)
	}
	if len(data) != ref.Size || crc32.Checksum(data, castagnoli) != ref.sum {
		return nil, fmt.Errorf("%w: %d bytes in bucket %d, index says %d", ErrCorrupt, len(data), ref.Bucket, ref.Size)
	}
	return data, nil
}

// deleteRef removes a ref and its membership key; a missing ref is no error.
func (s *Store) deleteRef(op string, indexKey []byte) error {
	return s.update(op, func(txn *badger.Txn) error {
		ref, err := getRef(txn, indexKey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := txn.Delete(indexKey); err != nil {
			return err
		}
		return txn.Delete(memberKey(ref.Bucket, indexKey))
	})
}

// getRef reads and decodes a ref inside txn.
func getRef(txn *badger.Txn, key []byte) (SegmentRef, error) {
	it, err := txn.Get(key)
	if err != nil {
		return SegmentRef{}, err
	}
	v, err := it.ValueCopy(nil)
	if err != nil {
		return SegmentRef{}, err
	}
	return decodeRef(v)
}
