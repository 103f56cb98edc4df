package api

import (
	"github.com/prometheus/client_golang/prometheus"

	"hlsorigin/origin"
)

// segmentCacheCollectors expose the origin's archive segment cache.
func segmentCacheCollectors(o *origin.Origin) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hlsorigin_segment_cache_hits_total",
			Help: "Archive segment reads served from memory (segments no longer in the hot set)."},
			func() float64 { return float64(o.SegmentCacheStats().Hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hlsorigin_segment_cache_misses_total",
			Help: "Archive segment reads that went to the store."},
			func() float64 { return float64(o.SegmentCacheStats().Misses) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hlsorigin_hot_segment_bytes",
			Help: "Bytes held by the newest segments of every rendition (bounded by -hot-bytes)."},
			func() float64 { return float64(o.HotStats().Bytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hlsorigin_segment_cache_bytes",
			Help: "Bytes held by the archive segment cache."},
			func() float64 { return float64(o.SegmentCacheStats().Bytes) }),
	}
}
