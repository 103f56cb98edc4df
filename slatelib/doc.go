// Package slatelib is the slate catalogue of an origin: bundled and admin
// presets and hosts' own slates, their media and moderation, and the topic
// matching that picks a pause's slate (requested, else the channel's
// default, else the best match by title, tags, history and chat, else the
// default slate).
//
// It sits above the channel core: New installs the library as the
// origin's SlatePicker and ChannelObserver, and hands each slate's media to
// the origin's splicer (Origin.PutSlate). The origin never imports it.
package slatelib
