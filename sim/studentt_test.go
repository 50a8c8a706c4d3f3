package sim

import (
	"math"
	"testing"
)

// The quantiles of Student's t against the published table (two-sided 95%: p = 0.975) and
// two other levels.
func TestStudentTQuantile(t *testing.T) {
	for _, tt := range []struct {
		p, nu, want float64
	}{
		{0.975, 1, 12.7062047}, {0.975, 2, 4.30265273}, {0.975, 3, 3.18244631}, {0.975, 4, 2.77644511},
		{0.975, 5, 2.57058184}, {0.975, 9, 2.26215716}, {0.975, 10, 2.22813885}, {0.975, 19, 2.09302405},
		{0.975, 30, 2.04227246}, {0.975, 100, 1.98397152}, {0.975, 1e6, 1.95996625},
		{0.95, 5, 2.01504837}, {0.995, 7, 3.49948329},
	} {
		if got := studentTQuantile(tt.p, tt.nu); math.Abs(got-tt.want) > 1e-6*tt.want {
			t.Errorf("studentTQuantile(%g, %g) = %.8f, want %.8f", tt.p, tt.nu, got, tt.want)
		}
	}
}
