package segments

import (
	"fmt"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"
)

// TrackRun summarises the samples of one track in a media segment.
type TrackRun struct {
	TrackID        uint32
	Kind           Kind
	BaseDecodeTime uint64 // tfdt of the first fragment for this track in the segment
	Duration       uint64 // sum of sample durations, track timescale
	Samples        int
	SyncSamples    int
	FirstIsSync    bool
	Bytes          int // media bytes of this track
}

// Segment is a validated media segment.
type Segment struct {
	Size        int
	Tracks      []TrackRun // one per track, in init order
	Start       float64    // seconds: video track tfdt (else first track) / timescale
	Duration    float64    // seconds: max over tracks of Duration/timescale
	Independent bool       // video first sample is a sync sample (true for audio-only)
	Prft        *time.Time // wall clock of a top-level prft box, if present and its track is known
	PrftMedia   float64    // seconds: media time that Prft refers to (valid when Prft != nil)
}

// ParseSegment validates a media segment against its init: the set of track
// IDs equals the init's (else ErrTrackMismatch); every traf has tfhd and tfdt;
// samples (with defaults from tfhd, then the init's trex) have duration > 0
// and data inside the mdat after their moof; every track has at least one
// sample (else ErrNoSamples); tfdt is continuous across the fragments of a
// track. Other defects are ErrMalformed. It never panics.
func ParseSegment(b []byte, in *Init) (seg *Segment, err error) {
	defer recoverMalformed("parse segment", &err)
	if in == nil || len(in.Tracks) == 0 {
		return nil, fmt.Errorf("parse segment: no init tracks: %w", ErrTrackMismatch)
	}
	m, err := splitSegment(b)
	if err != nil {
		return nil, fmt.Errorf("parse segment: %w", err)
	}
	p := &segParser{b: b, in: in, runs: map[uint32]*TrackRun{}}
	for i, f := range m.frags {
		if err := p.addFragment(f); err != nil {
			return nil, fmt.Errorf("parse segment: moof %d: %w", i, err)
		}
	}
	seg, err = p.segment()
	if err != nil {
		return nil, fmt.Errorf("parse segment: %w", err)
	}
	seg.setPrft(m.prft, in)
	return seg, nil
}

// segParser accumulates per-track runs over the fragments of one segment.
type segParser struct {
	b    []byte
	in   *Init
	runs map[uint32]*TrackRun
}

func (p *segParser) addFragment(f fragment) error {
	prevEnd := int64(-1) // end of the previous traf's data, for implicit bases
	for j, traf := range f.decoded.Trafs {
		end, err := p.addTraf(f, traf, prevEnd)
		if err != nil {
			return fmt.Errorf("traf %d: %w", j, err)
		}
		prevEnd = end
	}
	return nil
}

func (p *segParser) addTraf(f fragment, traf *mp4.TrafBox, prevEnd int64) (int64, error) {
	if traf.Tfhd == nil || traf.Tfdt == nil {
		return 0, fmt.Errorf("tfhd or tfdt missing: %w", ErrMalformed)
	}
	t, ok := p.in.Track(traf.Tfhd.TrackID)
	if !ok {
		return 0, fmt.Errorf("track %d not in init: %w", traf.Tfhd.TrackID, ErrTrackMismatch)
	}
	run, err := p.run(t, traf.Tfdt.BaseMediaDecodeTime())
	if err != nil {
		return 0, err
	}
	base, err := p.trafBase(f, traf.Tfhd, prevEnd)
	if err != nil {
		return 0, err
	}
	pos := base // a trun without data offset continues after the previous one
	for k, trun := range traf.Truns {
		trun.AddSampleDefaultValues(traf.Tfhd, t.trex)
		if trun.HasDataOffset() {
			pos = base + int64(trun.DataOffset)
		}
		if pos, err = addSamples(run, trun, pos, f.mdat); err != nil {
			return 0, fmt.Errorf("trun %d: %w", k, err)
		}
	}
	return pos, nil
}

// run returns the accumulator of track t, checking tfdt continuity.
func (p *segParser) run(t Track, tfdt uint64) (*TrackRun, error) {
	run, ok := p.runs[t.ID]
	if !ok {
		run = &TrackRun{TrackID: t.ID, Kind: t.Kind, BaseDecodeTime: tfdt}
		p.runs[t.ID] = run
		return run, nil
	}
	if want := run.BaseDecodeTime + run.Duration; tfdt != want {
		return nil, fmt.Errorf("track %d: tfdt %d, want %d (continuing the previous fragment): %w",
			t.ID, tfdt, want, ErrMalformed)
	}
	return run, nil
}

// trafBase is the base data offset of a traf (ISO/IEC 14496-12 8.8.7.1).
func (p *segParser) trafBase(f fragment, tfhd *mp4.TfhdBox, prevEnd int64) (int64, error) {
	switch {
	case tfhd.HasBaseDataOffset():
		if tfhd.BaseDataOffset > uint64(len(p.b)) {
			return 0, fmt.Errorf("base data offset %d beyond segment: %w", tfhd.BaseDataOffset, ErrMalformed)
		}
		return int64(tfhd.BaseDataOffset), nil
	case !tfhd.DefaultBaseIfMoof() && prevEnd >= 0:
		return prevEnd, nil
	}
	return int64(f.moof.start), nil
}

// addSamples adds the samples of trun, whose data starts at pos, to run and
// returns the end of its data.
func addSamples(run *TrackRun, trun *mp4.TrunBox, pos int64, mdat box) (int64, error) {
	lo, hi := int64(mdat.start+mdat.hdr), int64(mdat.end)
	for i, s := range trun.Samples {
		if s.Dur == 0 {
			return 0, fmt.Errorf("sample %d: duration 0: %w", i, ErrMalformed)
		}
		if pos < lo || pos+int64(s.Size) > hi {
			return 0, fmt.Errorf("sample %d: data [%d,%d) outside mdat [%d,%d): %w",
				i, pos, pos+int64(s.Size), lo, hi, ErrMalformed)
		}
		pos += int64(s.Size)
		sync := !mp4.DecodeSampleFlags(s.Flags).SampleIsNonSync
		if run.Samples == 0 {
			run.FirstIsSync = sync
		}
		if sync {
			run.SyncSamples++
		}
		run.Samples++
		run.Duration += uint64(s.Dur)
		run.Bytes += int(s.Size)
	}
	return pos, nil
}

// segment checks that every init track has samples and builds the result.
func (p *segParser) segment() (*Segment, error) {
	seg := &Segment{Size: len(p.b), Independent: true}
	if len(p.runs) != len(p.in.Tracks) {
		return nil, fmt.Errorf("%d tracks in segment, %d in init: %w", len(p.runs), len(p.in.Tracks), ErrTrackMismatch)
	}
	for i, t := range p.in.Tracks {
		run, ok := p.runs[t.ID]
		if !ok {
			return nil, fmt.Errorf("init track %d missing: %w", t.ID, ErrTrackMismatch)
		}
		if run.Samples == 0 {
			return nil, fmt.Errorf("track %d: %w", t.ID, ErrNoSamples)
		}
		seg.Tracks = append(seg.Tracks, *run)
		start := float64(run.BaseDecodeTime) / float64(t.Timescale)
		if i == 0 || t.Kind == KindVideo {
			seg.Start = start
		}
		if t.Kind == KindVideo {
			seg.Independent = run.FirstIsSync
		}
		seg.Duration = max(seg.Duration, float64(run.Duration)/float64(t.Timescale))
	}
	return seg, nil
}

// setPrft records the wall clock of prft when its reference track is known.
func (seg *Segment) setPrft(prft *mp4.PrftBox, in *Init) {
	if prft == nil {
		return
	}
	t, ok := in.Track(prft.ReferenceTrackID)
	if !ok {
		return
	}
	wall := prft.NTPTimestamp.Time()
	seg.Prft = &wall
	seg.PrftMedia = float64(prft.MediaTime) / float64(t.Timescale)
}
