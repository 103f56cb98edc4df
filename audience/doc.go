// Package audience holds what viewers do on a channel: signed viewer
// tokens, chat, and the poll each pause opens. It is the origin's
// PauseObserver: the poll record is written in the pause's durable batch
// (before the pause's fsync), and a resume closes the poll before its own
// fsync, so the result is as durable as the resume. Records live in the
// origin's store: vt/ (votes), pl/ (polls), ch/ (chat) and the viewer
// signing secret in meta/. It imports origin; origin never imports it.
package audience
