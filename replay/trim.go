package replay

import (
	"bytes"
	"fmt"

	"github.com/Eyevinn/mp4ff/mp4"
)

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

// encodeFragment writes the kept samples as one fragment, all samples of
// one track before the next (one trun per track). wide writes tfdt
// version 1 (64-bit), as the encoder did, whatever the value.
func encodeFragment(seqNr uint32, ids []uint32, kept map[uint32][]mp4.FullSample, wide bool) ([]byte, error) {
	var with []uint32
	for _, id := range ids {
		if len(kept[id]) > 0 {
			with = append(with, id)
		}
	}
	if len(with) == 0 {
		return nil, fmt.Errorf("%w: no sample in range", ErrUnservable)
	}
	frag, err := mp4.CreateMultiTrackFragment(seqNr, with)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnservable, err)
	}
	for _, id := range with {
		for _, s := range kept[id] {
			if err := frag.AddFullSampleToTrack(s, id); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrUnservable, err)
			}
		}
	}
	if wide {
		for _, traf := range frag.Moof.Trafs {
			traf.Tfdt.Version = 1
		}
	}
	seg := mp4.NewMediaSegmentWithoutStyp()
	seg.AddFragment(frag)
	var b bytes.Buffer
	if err := seg.Encode(&b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnservable, err)
	}
	return b.Bytes(), nil
}
