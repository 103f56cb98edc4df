package origin

import "hlsorigin/timeline"

// The timeline records live in the pure timeline package, so that replays
// read them without depending on the channel core.
type (
	// SegmentInfo is the timeline entry of one stored segment.
	SegmentInfo = timeline.SegmentInfo
	// Pause is one "be right back" interval of a channel.
	Pause = timeline.PauseInfo
	// SlateChoice says which slate a pause shows and why.
	SlateChoice = timeline.SlateChoice
)
