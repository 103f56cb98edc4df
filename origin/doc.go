// Package origin owns the live timeline of every channel: it accepts what an
// encoder PUTs (init segments, media segments, playlists), validates each
// media segment against its init, stores it (a call returns only after the
// segment is in the store: "ack means stored"), and publishes immutable,
// pre-rendered playlist bytes for players and CDNs.
//
// Ingest model. ffmpeg's HLS muxer sends, per rendition, an init segment, then
// media segments, each followed by its media playlist, on several concurrent
// connections and not always in that order (an init may arrive after the
// first segment that uses it). A segment whose rendition is already known (its
// name matches a prefix learned from an earlier playlist) is validated and
// committed to the timeline at once. A segment that cannot be placed yet is
// structurally validated and staged in the store; the playlist naming it
// commits it as soon as the rendition's init is known.
//
// Guarantees:
//   - media sequence numbers of a rendition only grow, across restarts;
//   - the discontinuity sequence counts every discontinuity ever removed from
//     the window (RFC 8216 6.2.2);
//   - the target duration of a rendition is fixed by its first segment (or by
//     configuration) and a longer segment is refused;
//   - published playlists are rendered once per change and never mutated.
//
// What is not the channel core hooks in rather than being embedded: the
// slate library (hlsorigin/slatelib) installs a SlatePicker, a
// ChannelObserver and a SlateCatalog; the audience (hlsorigin/audience:
// viewers, chat, polls) installs a PauseObserver, whose records are written
// in the pause's durable batch. This package imports neither.
package origin
