package replay

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/Eyevinn/mp4ff/mp4"

	"hlsorigin/segments"
)

// ErrPiece wraps refusals to build a replay segment: ErrBadPiece for a
// malformed request, ErrUnservable for one the stored media cannot satisfy.
var (
	ErrBadPiece   = errors.New("replay segment request")
	ErrUnservable = errors.New("replay segment")
)

// MaxMerged bounds how many stored segments one replay segment may hold.
const MaxMerged = 4

// PieceRequest is what a replay segment URI asks for.
type PieceRequest struct {
	Seq   uint64
	N     int
	Trim  *Ticks
	Shift map[uint32]int64
}

// Plain: the stored segment as it is (no query).
func (q PieceRequest) Plain() bool { return q.N == 1 && q.Trim == nil && len(q.Shift) == 0 }

// pieceURI names a piece: the stored segment's URI, with the merge count
// (n), the trim (from, to: decode ticks) and the per-track shift as query
// parameters when there are any.
func pieceURI(base string, p Piece) string {
	b := make([]byte, 0, len(base)+48)
	b = append(b, base...)
	param := func(k string) {
		if len(b) == len(base) {
			b = append(b, '?')
		} else {
			b = append(b, '&')
		}
		b = append(append(b, k...), '=')
	}
	if p.N > 1 {
		param("n")
		b = strconv.AppendInt(b, int64(p.N), 10)
	}
	if p.Trim != nil {
		param("from")
		b = strconv.AppendUint(b, p.Trim.From, 10)
		param("to")
		b = strconv.AppendUint(b, p.Trim.To, 10)
	}
	if ids := shiftIDs(p.Shift); len(ids) > 0 {
		param("shift")
		for i, id := range ids {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(append(strconv.AppendUint(b, uint64(id), 10), ':'), p.Shift[id], 10)
		}
	}
	return string(b)
}

// shiftIDs lists the tracks with a non-zero shift, by ID.
func shiftIDs(shift map[uint32]int64) []uint32 {
	var ids []uint32
	for id, d := range shift {
		if d != 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) > 1 {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	}
	return ids
}

// ParsePiece reads a replay segment request: seq from the file name, n,
// from, to and shift from the query (get returns "" when absent).
func ParsePiece(seq uint64, get func(string) string) (PieceRequest, error) {
	q := PieceRequest{Seq: seq, N: 1}
	if v := get("n"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxMerged {
			return q, fmt.Errorf("%w: n=%q: 1 to %d", ErrBadPiece, v, MaxMerged)
		}
		q.N = n
	}
	if f, t := get("from"), get("to"); f != "" || t != "" {
		from, err1 := strconv.ParseUint(f, 10, 64)
		to, err2 := strconv.ParseUint(t, 10, 64)
		if err1 != nil || err2 != nil || to <= from {
			return q, fmt.Errorf("%w: from=%q to=%q: decode ticks, from < to", ErrBadPiece, f, t)
		}
		q.Trim = &Ticks{from, to}
	}
	if v := get("shift"); v != "" {
		q.Shift = map[uint32]int64{}
		for _, kv := range strings.Split(v, ",") {
			k, d, ok := strings.Cut(kv, ":")
			id, err1 := strconv.ParseUint(k, 10, 32)
			delta, err2 := strconv.ParseInt(d, 10, 64)
			if !ok || err1 != nil || err2 != nil || len(q.Shift) >= 8 {
				return q, fmt.Errorf("%w: shift=%q: track:ticks[,track:ticks]", ErrBadPiece, v)
			}
			q.Shift[uint32(id)] = delta
		}
	}
	return q, nil
}

// Render builds a replay segment from consecutive stored segments under
// one init. One whole segment is re-stamped in place (segments.Retime: the
// stored boxes, prft and sidx included, with only their times changed);
// merged or trimmed ones are rebuilt as one fragment of the kept samples.
func Render(segs [][]byte, in *segments.Init, q PieceRequest) ([]byte, error) {
	for id := range q.Shift {
		if _, ok := in.Track(id); !ok {
			return nil, fmt.Errorf("%w: shift for track %d not in the init", ErrBadPiece, id)
		}
	}
	if len(segs) == 1 && q.Trim == nil {
		out, err := segments.Retime(segs[0], in, q.Shift)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnservable, err)
		}
		return out, nil
	}
	if q.Trim != nil && len(in.Tracks) != 1 {
		return nil, fmt.Errorf("%w: a trim needs a single-track rendition", ErrBadPiece)
	}
	return rebuild(segs, in.MP4, q)
}

// rebuild decodes every sample of segs, keeps those in the trim, shifts
// their decode times and writes one fragment (tfdt version as stored).
func rebuild(segs [][]byte, init *mp4.InitSegment, q PieceRequest) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: panic: %v", ErrUnservable, r)
		}
	}()
	kept := map[uint32][]mp4.FullSample{}
	var ids []uint32
	seqNr, wide := uint32(0), false
	for i, b := range segs {
		f, err := mp4.DecodeFile(bytes.NewReader(b))
		if err != nil || len(f.Segments) == 0 {
			return nil, fmt.Errorf("%w: decode segment %d: %v", ErrUnservable, q.Seq+uint64(i), err)
		}
		for _, s := range f.Segments {
			for _, fr := range s.Fragments {
				if seqNr == 0 {
					seqNr = fr.Moof.Mfhd.SequenceNumber
				}
				for _, traf := range fr.Moof.Trafs {
					wide = wide || (traf.Tfdt != nil && traf.Tfdt.Version == 1)
					if ids, err = keepSamples(fr, traf, init, q, kept, ids); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return encodeFragment(seqNr, ids, kept, wide)
}

func keepSamples(fr *mp4.Fragment, traf *mp4.TrafBox, init *mp4.InitSegment, q PieceRequest,
	kept map[uint32][]mp4.FullSample, ids []uint32) ([]uint32, error) {
	id := traf.Tfhd.TrackID
	trak, trex := trackOf(init, id)
	if trak == nil {
		return ids, fmt.Errorf("%w: track %d not in the init", ErrUnservable, id)
	}
	ss, err := fr.GetFullSamples(trex)
	if err != nil {
		return ids, fmt.Errorf("%w: %v", ErrUnservable, err)
	}
	if _, seen := kept[id]; !seen {
		ids = append(ids, id)
		kept[id] = nil
	}
	for _, x := range ss {
		if q.Trim != nil && (x.DecodeTime < q.Trim.From || x.DecodeTime >= q.Trim.To) {
			continue
		}
		t := int64(x.DecodeTime) + q.Shift[id]
		if t < 0 {
			return ids, fmt.Errorf("%w: shifted decode time %d below 0", ErrUnservable, t)
		}
		x.DecodeTime = uint64(t)
		kept[id] = append(kept[id], x)
	}
	return ids, nil
}
