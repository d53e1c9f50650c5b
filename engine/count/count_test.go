package count

import "testing"

// TestInsideTaps checks the closed form of insideTaps against the loop nest it
// replaces (genConvPlain's row test, for instance) over small geometries.
func TestInsideTaps(t *testing.T) {
	for size := 1; size <= 9; size++ {
		for n := 0; n <= 6; n++ {
			for stride := 1; stride <= 3; stride++ {
				for pad := 0; pad <= 4; pad++ {
					for kn := 1; kn <= 7; kn++ {
						for d := 1; d <= 3; d++ {
							for o0 := 0; o0 <= 5; o0++ {
								var want uint64
								for o := 0; o < n; o++ {
									for k := 0; k < kn; k++ {
										if c := (o0+o)*stride - pad + k*d; c >= 0 && c < size {
											want++
										}
									}
								}
								if got := insideTaps(o0, n, stride, pad, kn, d, size); got != want {
									t.Fatalf("insideTaps(o0 %d, n %d, stride %d, pad %d, k %d, d %d, size %d) = %d, want %d",
										o0, n, stride, pad, kn, d, size, got, want)
								}
							}
						}
					}
				}
			}
		}
	}
}
