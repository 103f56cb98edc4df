package audience

import (
	"fmt"
	"hlsorigin/origin"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkVoteInProcess: votes per second through Channel.Vote (group
// committed to Badger, counted, events throttled) from 256 concurrent
// voters, each vote from one of 100,000 viewers (re-votes included). The
// baseline, measured in the same run, is one Badger transaction per vote
// (PutRecord of the same record, as a naive design would do): the ratio
// says what group commit buys.
//
//	go test ./audience -run '^$' -bench VoteInProcess -benchtime 50000x
func BenchmarkVoteInProcess(b *testing.B) {
	o := openWith(b, origin.Config{DataDir: b.TempDir()})
	defer o.Close()
	och, _, err := o.CreateChannel("bench", "bench")
	if err != nil {
		b.Fatal(err)
	}
	ch := testChannel{och, o.aud}
	if _, err := ch.Pause(origin.PauseRequest{}); err != nil {
		b.Fatal(err)
	}
	viewers := make([]Viewer, 100000)
	for i := range viewers {
		viewers[i] = Viewer{ID: fmt.Sprintf("%024x", i)}
	}
	run := func(vote func(i int64) error) float64 {
		var next atomic.Int64
		start := time.Now()
		b.SetParallelism(max(1, 256/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := vote(next.Add(1)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		return float64(b.N) / time.Since(start).Seconds()
	}
	b.ResetTimer()
	rate := run(func(i int64) error {
		_, err := ch.Vote(viewers[i%int64(len(viewers))], strconv.Itoa(int(i%3)+1))
		return err
	})
	b.StopTimer()
	base := run(func(i int64) error {
		return o.Store().PutRecord("vt", []string{"bench", "naive", voteKey(uint64(i))},
			[]byte(`{"s":1,"v":"000000000000000000000001","o":1,"t":1764000000000}`), false)
	})
	if pv, _ := ch.Poll("", ""); pv.Total == 0 {
		b.Fatal("no vote counted")
	}
	b.ReportMetric(rate, "votes/s")
	b.ReportMetric(base, "txn-per-vote/s")
	b.ReportMetric(rate/base, "x-vs-txn-per-vote")
}
