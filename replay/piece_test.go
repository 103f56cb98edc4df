package replay

import (
	"net/url"
	"testing"

	"hlsorigin/fixtures"
	"hlsorigin/segments"
)

// TestPieceURIRoundTrip: what a playlist writes, ParsePiece reads back.
func TestPieceURIRoundTrip(t *testing.T) {
	p := Piece{Seq: 7, N: 2, Trim: &Ticks{1024, 96256}, Shift: map[uint32]int64{2: -5, 1: 0}}
	uri := pieceURI("7.m4s", p)
	if uri != "7.m4s?n=2&from=1024&to=96256&shift=2:-5" {
		t.Fatalf("uri %s", uri)
	}
	u, _ := url.Parse(uri)
	q, err := ParsePiece(7, u.Query().Get)
	if err != nil || q.N != 2 || *q.Trim != *p.Trim || q.Shift[2] != -5 || len(q.Shift) != 1 {
		t.Errorf("parsed %+v %v", q, err)
	}
	if got := pieceURI("7.m4s", Piece{Seq: 7, N: 1, Shift: map[uint32]int64{1: 0}}); got != "7.m4s" {
		t.Errorf("unshifted piece: %s", got)
	}
}

// FuzzParsePiece: any query is parsed or refused, and whatever parses is
// rendered from a real segment or refused, never a panic.
func FuzzParsePiece(f *testing.F) {
	for _, s := range []string{"n=2", "from=0&to=1024", "shift=1:-30720,2:-97280", "shift=1:", "n=0", "from=5&to=1", "shift=4294967296:1"} {
		f.Add(s)
	}
	m := fixtures.Muxed()
	in, err := segments.ParseInit(m.Init)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		q, err := ParsePiece(1, v.Get)
		if err != nil {
			return
		}
		segs := make([][]byte, 0, q.N)
		for i := 0; i < q.N; i++ {
			segs = append(segs, m.Segments[(1+i)%len(m.Segments)])
		}
		_, _ = Render(segs, in, q)
	})
}
