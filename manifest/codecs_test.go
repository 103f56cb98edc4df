package manifest

import "testing"

func TestCoverAVC(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
		ok   bool
	}{
		{[]string{"avc1.64001e", "avc1.4d4028"}, "avc1.640028", true}, // High 3.0 host, Main 4.0 slate
		{[]string{"avc1.4d401e", "avc1.4d4028"}, "avc1.4d4028", true},
		{[]string{"avc1.42c01e", "avc1.4d4028"}, "avc1.4d4028", true},
		{[]string{"avc1.640028"}, "avc1.640028", true},
		{[]string{"hvc1.1.6.L93.B0", "avc1.4d4028"}, "", false},
	} {
		got, ok := CoverAVC(tc.in...)
		if got != tc.want || ok != tc.ok {
			t.Errorf("CoverAVC(%v) = %q %v, want %q %v", tc.in, got, ok, tc.want, tc.ok)
		}
		for _, c := range tc.in {
			if ok && !CodecCovers(got, c) {
				t.Errorf("%s does not cover %s", got, c)
			}
		}
	}
	for _, tc := range []struct {
		declared, actual string
		want             bool
	}{
		{"avc1.64001e", "avc1.4d4028", false}, // the reported bug: level 3.0 declared, 4.0 served
		{"avc1.4d4028", "avc1.64001e", false}, // Main declared, High served
		{"avc1.4d4028", "avc3.4d4028", false},
		{"mp4a.40.2", "MP4A.40.2", true},
		{"mp4a.40.2", "mp4a.40.5", false},
	} {
		if got := CodecCovers(tc.declared, tc.actual); got != tc.want {
			t.Errorf("CodecCovers(%s, %s) = %v", tc.declared, tc.actual, got)
		}
	}
}
