package replay

import (
	"fmt"
	"io"
	"math"

	"hlsorigin/segments"
	"hlsorigin/timeline"
)

// ExportPiece is one stored segment placed in an exported MP4.
type ExportPiece struct {
	Seq    uint64
	Size   int64
	Offset map[uint32]int64 // per track: added to tfdt so the file is gapless
}

// Export is the plan of a fragmented MP4 (init + fragments) of a replay:
// slate segments and paused intervals left out, every track re-stamped to
// run on without a gap from 0. Sizes are known up front (re-stamping
// patches tfdt in place), so Content-Length and Range need no buffering.
type Export struct {
	InitVer uint32
	Init    []byte
	Pieces  []ExportPiece
	Size    int64
	Omitted int // live segments under another init (an encoder restart with new settings)
}

// PlanMP4 plans the export of segs (one rendition, oldest first).
func PlanMP4(segs []timeline.SegmentInfo, init func(ver uint32) ([]byte, error), opt Options) (Export, error) {
	var ex Export
	out := map[uint32]uint64{} // per track: where the next sample goes
	for _, s := range within(segs, opt.From, opt.To) {
		if s.Kind == "slate" {
			continue
		}
		if len(ex.Pieces) == 0 {
			ex.InitVer = s.InitVer
		}
		if s.InitVer != ex.InitVer || len(s.Starts) == 0 {
			ex.Omitted++
			continue
		}
		p := ExportPiece{Seq: s.Seq, Size: int64(s.Size), Offset: map[uint32]int64{}}
		if len(ex.Pieces) == 0 {
			out = exportOrigin(s, opt.Tracks)
		}
		for id, start := range s.Starts {
			p.Offset[id] = int64(out[id]) - int64(start)
			out[id] += s.Ends[id] - start
		}
		ex.Pieces = append(ex.Pieces, p)
		ex.Size += p.Size
	}
	if len(ex.Pieces) == 0 {
		return ex, ErrNothing
	}
	b, err := init(ex.InitVer)
	if err != nil {
		return ex, err
	}
	ex.Init = b
	ex.Size += int64(len(b))
	return ex, nil
}

// exportOrigin places the first exported segment: every track moves by the
// same time, so the earliest starts at 0 and the tracks keep their offsets
// to each other (the init's edit lists, served unchanged, stay right). An
// export from the start of a recording keeps its timestamps.
func exportOrigin(s timeline.SegmentInfo, tracks Tracks) map[uint32]uint64 {
	ts := map[uint32]float64{}
	for _, t := range tracksOf(tracks, s.InitVer) {
		ts[t.ID] = float64(t.Timescale)
	}
	t0 := math.Inf(1)
	for id, st := range s.Starts {
		if ts[id] == 0 {
			return map[uint32]uint64{} // timescales unknown: every track from 0
		}
		t0 = math.Min(t0, float64(st)/ts[id])
	}
	out := map[uint32]uint64{}
	for id, st := range s.Starts {
		out[id] = uint64(max(0, math.Round(float64(st)-t0*ts[id])))
	}
	return out
}

// Source gives stored segment bytes.
type Source interface {
	Segment(seq uint64) ([]byte, bool, error)
}

// Reader streams bytes [from, to) of an export, one segment in memory at a time.
type Reader struct {
	ex       Export
	src      Source
	in       *segments.Init
	pos, end int64
	piece    int    // index of the loaded piece, -1 = init
	buf      []byte // the loaded piece
	bufStart int64  // its offset in the file
}

// NewReader reads [from, to) of ex (to = ex.Size for the whole file).
func NewReader(ex Export, src Source, from, to int64) (*Reader, error) {
	in, err := segments.ParseInit(ex.Init)
	if err != nil {
		return nil, fmt.Errorf("export init: %w", err)
	}
	return &Reader{ex: ex, src: src, in: in, pos: from, end: to, piece: -2}, nil
}

func (r *Reader) Read(p []byte) (int, error) {
	if r.pos >= r.end {
		return 0, io.EOF
	}
	if r.buf == nil || r.pos < r.bufStart || r.pos >= r.bufStart+int64(len(r.buf)) {
		if err := r.load(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf[r.pos-r.bufStart:min(int64(len(r.buf)), r.end-r.bufStart)])
	r.pos += int64(n)
	return n, nil
}

// load brings in the piece that holds r.pos.
func (r *Reader) load() error {
	off := int64(len(r.ex.Init))
	if r.pos < off {
		r.buf, r.bufStart, r.piece = r.ex.Init, 0, -1
		return nil
	}
	for i, pc := range r.ex.Pieces {
		if r.pos < off+pc.Size {
			data, _, err := r.src.Segment(pc.Seq)
			if err != nil {
				return fmt.Errorf("export segment %d: %w", pc.Seq, err)
			}
			out, err := segments.Retime(data, r.in, pc.Offset)
			if err != nil {
				return fmt.Errorf("export segment %d: %w", pc.Seq, err)
			}
			if int64(len(out)) != pc.Size {
				return fmt.Errorf("export segment %d: size %d, planned %d", pc.Seq, len(out), pc.Size)
			}
			r.buf, r.bufStart, r.piece = out, off, i
			return nil
		}
		off += pc.Size
	}
	return io.ErrUnexpectedEOF
}
