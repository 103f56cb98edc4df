// Package store is the only package of hlsorigin that talks to Badger.
//
// Layout under Options.Dir:
//
//	meta/                 one Badger DB with small records: channels, renditions,
//	                      init segments, the segment index, staged refs and
//	                      generic keyed records (pause, poll, ...).
//	blobs/<bucketStart>/  one Badger DB per time bucket (default span 1 h)
//	                      holding segment and staged bytes in its value log.
//
// Guarantees:
//
//   - Ack means stored: when a Put* method returns nil, its data has been
//     handed to the OS (Badger writes through mmap before a commit returns),
//     so it survives kill -9 of the process. SyncWrites stays off; power-loss
//     durability needs Sync (or PutRecord with durable=true).
//   - PutSegment writes the blob first (one txn in its bucket) and the index
//     key second (one txn in meta): the index key is the commit point, so a
//     crash between the two leaves an unreachable blob, never a dangling key.
//   - Disk is bounded: Badger's value log is only reclaimed by value-log GC,
//     which rarely runs for tiny keys, so media is never deleted key by key.
//     Prune drops whole buckets (close + remove directory) once their end is
//     older than now - Retention, together with the index keys pointing
//     into them (found through a per-bucket membership index).
//   - Reads return copies: Badger value slices are only valid inside their
//     transaction, so nothing returned by this package aliases Badger memory.
//   - A segment whose bucket is gone (pruned) reads as ErrNotFound, and a
//     blob whose size or CRC-32C does not match its index entry reads as
//     ErrCorrupt: never garbage.
//
// All methods are safe for concurrent use.
package store
