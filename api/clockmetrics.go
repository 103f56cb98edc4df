package api

import (
	"github.com/prometheus/client_golang/prometheus"

	"hlsorigin/origin"
)

// channelStateCollectors export how many channels are in each state of
// the output clock (hlsorigin_channels{state="reconnecting"} etc.),
// counted when scraped.
func channelStateCollectors(o *origin.Origin) []prometheus.Collector {
	var out []prometheus.Collector
	for _, st := range []string{"idle", "live", "paused", "reconnecting", "ended"} {
		out = append(out, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hlsorigin_channels",
			Help: "Channels by state (reconnecting: input lost, the origin generates the slate).", ConstLabels: prometheus.Labels{"state": st}},
			func() float64 { return countState(o, st) }))
	}
	return out
}

func countState(o *origin.Origin, state string) float64 {
	n := 0
	for _, id := range o.Channels() {
		if ch, err := o.Channel(id); err == nil && ch.State() == state {
			n++
		}
	}
	return float64(n)
}
