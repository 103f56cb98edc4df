// Package manifest renders HLS playlists (RFC 8216) from the origin's own
// model, using grafov/m3u8 as a renderer only, and parses the playlists an
// encoder PUTs. Rendering returns fresh bytes owned by the caller: grafov's
// internal buffer is never handed out. Pure: no HTTP.
package manifest
