package slate

import (
	"bytes"
	"fmt"
	"math"

	"github.com/Eyevinn/mp4ff/mp4"
)

// CombinedInit builds the init segment used while paused: the slate's
// video trak renumbered to hostVideoID, plus the host's audio trak as is
// (when withAudio and the host has one), with matching trex boxes.
func CombinedInit(hostInit *mp4.InitSegment, hostVideoID uint32, sl *Slate, withAudio bool) (out []byte, err error) {
	defer recoverErr("combined init", &err)
	host, err := copyInit(hostInit)
	if err != nil {
		return nil, err
	}
	sf, err := mp4.DecodeFile(bytes.NewReader(sl.initBytes))
	if err != nil || sf.Init == nil {
		return nil, fmt.Errorf("slate init: %w: %v", ErrSlate, err)
	}
	vtrak := sf.Init.Moov.Trak
	vtrak.Tkhd.TrackID = hostVideoID
	// The host's edit list (an empty edit, a media time for B-frames) keeps
	// the slate on the host's presentation timeline; slate frames carry the
	// media time as their composition offset (see editMediaTime).
	withEdits(vtrak, videoTrak(host, hostVideoID))
	vtrex := sf.Init.Moov.Mvex.Trex
	vtrex.TrackID = hostVideoID
	moov := mp4.NewMoovBox()
	moov.AddChild(host.Moov.Mvhd)
	moov.AddChild(vtrak)
	mvex := mp4.NewMvexBox()
	mvex.AddChild(vtrex)
	if withAudio {
		if atrak, atrex := audioTrak(host); atrak != nil && atrex != nil {
			moov.AddChild(atrak)
			mvex.AddChild(atrex)
		}
	}
	moov.AddChild(mvex)
	init := mp4.NewMP4Init()
	init.AddChild(host.Ftyp)
	init.AddChild(moov)
	var b bytes.Buffer
	if err := init.Encode(&b); err != nil {
		return nil, fmt.Errorf("encode combined init: %w: %v", ErrSlate, err)
	}
	return b.Bytes(), nil
}

// copyInit deep-copies an init segment by encoding and decoding it.
func copyInit(in *mp4.InitSegment) (*mp4.InitSegment, error) {
	var b bytes.Buffer
	if err := in.Encode(&b); err != nil {
		return nil, fmt.Errorf("copy init: %w: %v", ErrSlate, err)
	}
	f, err := mp4.DecodeFile(&b)
	if err != nil || f.Init == nil {
		return nil, fmt.Errorf("copy init: %w: %v", ErrSlate, err)
	}
	return f.Init, nil
}

// audioTrak returns the host's audio trak and its trex.
func audioTrak(in *mp4.InitSegment) (*mp4.TrakBox, *mp4.TrexBox) {
	for _, t := range in.Moov.Traks {
		if t.Mdia.Hdlr.HandlerType == "soun" {
			return t, trexFor(in, t.Tkhd.TrackID)
		}
	}
	return nil, nil
}

func trexFor(in *mp4.InitSegment, id uint32) *mp4.TrexBox {
	if in.Moov.Mvex == nil {
		return nil
	}
	for _, x := range in.Moov.Mvex.Trexs {
		if x.TrackID == id {
			return x
		}
	}
	return nil
}

// trackIDs returns the host's video and audio track IDs (0 when absent).
func trackIDs(in *mp4.InitSegment) (video, audio uint32) {
	for _, t := range in.Moov.Traks {
		switch t.Mdia.Hdlr.HandlerType {
		case "vide":
			video = t.Tkhd.TrackID
		case "soun":
			audio = t.Tkhd.TrackID
		}
	}
	return video, audio
}

// SilenceFrame extracts one AAC frame from the middle of a silent
// fragmented MP4 (used to mute host audio frame for frame).
func SilenceFrame(file []byte) (frame []byte, err error) {
	defer recoverErr("silence", &err)
	f, err := mp4.DecodeFile(bytes.NewReader(file))
	if err != nil || f.Init == nil {
		return nil, fmt.Errorf("silence: %w: %v", ErrSlate, err)
	}
	var all []mp4.FullSample
	for _, s := range f.Segments {
		for _, fr := range s.Fragments {
			ss, err := fr.GetFullSamples(f.Init.Moov.Mvex.Trex)
			if err != nil {
				return nil, fmt.Errorf("silence: %w: %v", ErrSlate, err)
			}
			all = append(all, ss...)
		}
	}
	if len(all) < 3 {
		return nil, fmt.Errorf("silence: too few frames: %w", ErrSlate)
	}
	return append([]byte(nil), all[len(all)/2].Data...), nil
}

// withEdits gives trak the edit list of from (none when from has none),
// placed after tkhd as ISO/IEC 14496-12 orders them, its media times
// converted to trak's timescale (segment durations are in the movie
// timescale, shared). from is modified: pass a copy.
func withEdits(trak, from *mp4.TrakBox) {
	if from != nil && from.Edts != nil {
		fromTs, toTs := from.Mdia.Mdhd.Timescale, trak.Mdia.Mdhd.Timescale
		for _, elst := range from.Edts.Elst {
			for i, e := range elst.Entries {
				if e.MediaTime > 0 && fromTs > 0 {
					elst.Entries[i].MediaTime = int64(math.Round(float64(e.MediaTime) * float64(toTs) / float64(fromTs)))
				}
			}
		}
	}
	kids := []mp4.Box{}
	for _, c := range trak.Children {
		if _, isEdts := c.(*mp4.EdtsBox); !isEdts {
			kids = append(kids, c)
		}
	}
	trak.Edts, trak.Children = nil, nil
	for _, c := range kids {
		trak.AddChild(c)
		if _, isTkhd := c.(*mp4.TkhdBox); isTkhd && from != nil && from.Edts != nil {
			trak.AddChild(from.Edts)
		}
	}
}
