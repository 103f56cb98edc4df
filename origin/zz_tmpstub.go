package origin

import (
	"time"

	"hlsorigin/segments"
)

type slateSet struct{}

const DefaultSlateID = "default"

func loadDefaultSlates() (*slateSet, error) { return &slateSet{}, nil }
func (o *Origin) pickSlate(ch *Channel, requested string) SlateChoice {
	return SlateChoice{ID: DefaultSlateID, Reason: "default"}
}
type part struct {
	kind            string
	initVer         uint32
	data            []byte
	start, duration float64
	frames          int
}

func (r *Rendition) splice(in *segments.Init, seg *segments.Segment, body []byte, pdt, arrived time.Time) ([]part, error) {
	return nil, nil
}
