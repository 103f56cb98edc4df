package replay

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/Eyevinn/mp4ff/mp4"
)

// ErrTrim wraps trim refusals.
var ErrTrim = errors.New("trim")

// Trim keeps the samples of a stored segment whose decode time (seconds)
// lies in [from, to), as one new fragment: used for demuxed audio at a
// replay junction (every AAC frame is a sync sample, so any frame
// boundary is a clean cut). No re-encoding.
func Trim(seg []byte, init *mp4.InitSegment, from, to float64) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: panic: %v", ErrTrim, r)
		}
	}()
	f, err := mp4.DecodeFile(bytes.NewReader(seg))
	if err != nil || len(f.Segments) == 0 {
		return nil, fmt.Errorf("%w: decode: %v", ErrTrim, err)
	}
	kept := map[uint32][]mp4.FullSample{}
	var ids []uint32
	seqNr := uint32(0)
	for _, s := range f.Segments {
		for _, fr := range s.Fragments {
			seqNr = fr.Moof.Mfhd.SequenceNumber
			for _, traf := range fr.Moof.Trafs {
				id := traf.Tfhd.TrackID
				trak, trex := trackOf(init, id)
				if trak == nil {
					return nil, fmt.Errorf("%w: track %d not in the init", ErrTrim, id)
				}
				ss, err := fr.GetFullSamples(trex)
				if err != nil {
					return nil, fmt.Errorf("%w: %v", ErrTrim, err)
				}
				ts := float64(trak.Mdia.Mdhd.Timescale)
				if _, seen := kept[id]; !seen {
					ids = append(ids, id)
				}
				for _, x := range ss {
					if t := float64(x.DecodeTime) / ts; t >= from-1e-6 && t < to-1e-6 {
						kept[id] = append(kept[id], x)
					}
				}
			}
		}
	}
	return encode(seqNr, ids, kept)
}

func trackOf(init *mp4.InitSegment, id uint32) (*mp4.TrakBox, *mp4.TrexBox) {
	for _, t := range init.Moov.Traks {
		if t.Tkhd.TrackID == id {
			for _, x := range init.Moov.Mvex.Trexs {
				if x.TrackID == id {
					return t, x
				}
			}
		}
	}
	return nil, nil
}

func encode(seqNr uint32, ids []uint32, kept map[uint32][]mp4.FullSample) ([]byte, error) {
	var with []uint32
	for _, id := range ids {
		if len(kept[id]) > 0 {
			with = append(with, id)
		}
	}
	if len(with) == 0 {
		return nil, fmt.Errorf("%w: no sample in range", ErrTrim)
	}
	frag, err := mp4.CreateMultiTrackFragment(seqNr, with)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTrim, err)
	}
	for _, id := range with {
		for _, s := range kept[id] {
			if err := frag.AddFullSampleToTrack(s, id); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrTrim, err)
			}
		}
	}
	seg := mp4.NewMediaSegmentWithoutStyp()
	seg.AddFragment(frag)
	var b bytes.Buffer
	if err := seg.Encode(&b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTrim, err)
	}
	return b.Bytes(), nil
}
