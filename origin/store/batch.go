package store

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// RecordPut is one record of a PutRecords batch.
type RecordPut struct {
	Parts []string
	Val   []byte
}

// recordBatchMax bounds the records of one transaction (far below Badger's
// per-txn cap of ~15% of the meta memtable).
const recordBatchMax = 1024

// PutRecords stores many records of one kind with one commit per up to
// 1024 records (group commit: one write-ahead-log append for the lot). A
// batch is all or nothing up to that size; larger batches commit in order,
// chunk by chunk. With durable the meta DB is fsynced before returning.
// Without it the records survive a process crash (they are in the
// write-ahead log) but not necessarily a power loss before the next sync.
func (s *Store) PutRecords(kind string, recs []RecordPut, durable bool) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	keys := make([][]byte, len(recs))
	size := 0
	for i, r := range recs {
		k, err := recordKey(kind, r.Parts, true)
		if err != nil {
			return fmt.Errorf("put records: %w", err)
		}
		keys[i] = k
		size += len(k) + len(r.Val)
	}
	if err := s.disk.check(size); err != nil {
		return fmt.Errorf("put records %s: %w", kind, err)
	}
	op := "put records " + kind
	for start := 0; start < len(recs); {
		end := min(len(recs), start+recordBatchMax)
		txn := s.meta.NewTransaction(true)
		i := start
		for ; i < end; i++ {
			if err := txn.Set(keys[i], recs[i].Val); err != nil {
				if errors.Is(err, badger.ErrTxnTooBig) && i > start {
					break // commit what fits, go on in a new txn
				}
				txn.Discard()
				return wrap(op, err)
			}
		}
		if err := txn.Commit(); err != nil {
			return wrap(op, err)
		}
		start = i
	}
	if durable {
		return wrap("sync records "+kind, s.meta.Sync())
	}
	return nil
}
