package store

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// PruneStats reports what one Prune removed.
type PruneStats struct {
	Buckets   int   // bucket directories removed
	Segments  int   // segment index entries removed
	Staged    int   // staged refs removed
	FreedDisk int64 // bytes the removed buckets occupied
}

const metaGCRounds = 8

// Prune drops every bucket whose end is at or before now - Retention: first
// the index entries pointing into it (so a crash never leaves keys without
// a directory to find them by), then the bucket DB and its directory.
// Finally it runs meta value-log GC. Safe to call concurrently with reads
// and writes; readers of a dropped bucket get ErrNotFound.
func (s *Store) Prune(now time.Time) (PruneStats, error) {
	var st PruneStats
	if err := s.enter(); err != nil {
		return st, err
	}
	defer s.leave()
	s.pruneMu.Lock()
	defer s.pruneMu.Unlock()
	expired := func(bucket int64) bool { return bucket+s.bk.span <= now.Add(-s.o.Retention).Unix() }
	if err := s.pruneIndex(expired, &st); err != nil {
		return st, err
	}
	starts, err := s.bk.starts()
	if err != nil {
		return st, err
	}
	for _, b := range starts {
		if !expired(b) {
			break
		}
		used, _ := dirUsage(s.bk.path(b))
		if err := s.bk.drop(b); err != nil {
			return st, err
		}
		st.Buckets++
		st.FreedDisk += used
	}
	return st, s.metaGC()
}

// pruneIndex deletes, chunk by chunk, the membership keys of expired buckets
// and the index entries that still point into those buckets.
func (s *Store) pruneIndex(expired func(int64) bool, st *PruneStats) error {
	for {
		keys, err := s.expiredMembers(expired)
		if err != nil || len(keys) == 0 {
			return err
		}
		var seg, stg int
		err = s.update("prune index", func(txn *badger.Txn) error {
			seg, stg = 0, 0
			return deleteMembers(txn, keys, &seg, &stg)
		})
		if err != nil {
			return err
		}
		st.Segments += seg
		st.Staged += stg
	}
}

// expiredMembers returns up to deleteChunk membership keys of expired buckets.
// Membership keys sort by bucket (big-endian), so the scan stops at the first
// live bucket.
func (s *Store) expiredMembers(expired func(int64) bool) ([][]byte, error) {
	prefix := []byte{preMember[0], sep}
	var out [][]byte
	err := s.meta.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid() && len(out) < deleteChunk; it.Next() {
			k := it.Item().Key()
			if len(k) < len(prefix)+numBucketLen || !expired(memberBucket(k)) {
				break
			}
			out = append(out, it.Item().KeyCopy(nil))
		}
		return nil
	})
	return out, wrap("list expired index", err)
}

func memberBucket(k []byte) int64 { return int64(binary.BigEndian.Uint64(k[2:])) }

// deleteMembers removes membership keys and the refs still in their bucket
// (a ref rewritten since into a newer bucket stays).
func deleteMembers(txn *badger.Txn, members [][]byte, seg, stg *int) error {
	for _, m := range members {
		idx := m[2+numBucketLen:]
		ref, err := getRef(txn, idx)
		if err == nil && ref.Bucket == memberBucket(m) {
			if err := txn.Delete(idx); err != nil {
				return err
			}
			if idx[0] == preStaged[0] {
				*stg++
			} else {
				*seg++
			}
		} else if err != nil && !errors.Is(err, badger.ErrKeyNotFound) && !errors.Is(err, ErrCorrupt) {
			return err
		}
		if err := txn.Delete(m); err != nil {
			return err
		}
	}
	return nil
}

// metaGC reclaims meta value-log space. Meta values are small and mostly
// live in the LSM, so this usually finds nothing to rewrite.
func (s *Store) metaGC() error {
	for range metaGCRounds {
		err := s.meta.RunValueLogGC(0.5)
		if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) {
			return nil
		}
		if err != nil {
			return wrap("meta value log gc", err)
		}
	}
	return nil
}
