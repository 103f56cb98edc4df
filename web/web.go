// Package web holds the pages the origin serves (go:embed): the viewer
// page and hls.js, vendored from npm into static/ by `make vendor-web`.
package web

import "embed"

// Static holds the page assets under "static/".
//
//go:embed static
var Static embed.FS
