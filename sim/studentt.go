package sim

import "math"

// studentTQuantile returns the p-quantile (0.5 < p < 1) of Student's t distribution with nu
// degrees of freedom, by bisection on its distribution function. It replaces gonum's
// distuv.StudentsT, which was the only use of gonum and brought its linear algebra packages
// (kept whole in the binary by text/template's reflection, see docs/benchmarks.md,
// "Binary size") into every build for one number per report row.
func studentTQuantile(p, nu float64) float64 {
	lo, hi := 0.0, 1.0
	for studentTCDF(hi, nu) < p {
		lo, hi = hi, hi*2
	}
	for range 200 {
		mid := (lo + hi) / 2
		if studentTCDF(mid, nu) < p {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo <= 1e-12*hi {
			break
		}
	}
	return (lo + hi) / 2
}

// studentTCDF is P(T <= t) for t >= 0: 1 - I_x(nu/2, 1/2)/2 with x = nu/(nu+t²).
func studentTCDF(t, nu float64) float64 {
	return 1 - regIncBeta(nu/(nu+t*t), nu/2, 0.5)/2
}

// regIncBeta is the regularized incomplete beta function I_x(a, b), by its continued fraction
// (modified Lentz), using the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) where the fraction converges
// slowly.
func regIncBeta(x, a, b float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	if x > (a+1)/(a+b+2) {
		return 1 - front*betaFraction(1-x, b, a)/b
	}
	return front * betaFraction(x, a, b) / a
}

// betaFraction evaluates the continued fraction of the incomplete beta function.
func betaFraction(x, a, b float64) float64 {
	const tiny, eps = 1e-300, 1e-15
	c, d := 1.0, 1-(a+b)*x/(a+1)
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 500; m++ {
		fm := float64(m)
		for _, num := range [2]float64{
			fm * (b - fm) * x / ((a + 2*fm - 1) * (a + 2*fm)),
			-(a + fm) * (a + b + fm) * x / ((a + 2*fm) * (a + 2*fm + 1)),
		} {
			d = 1 + num*d
			if math.Abs(d) < tiny {
				d = tiny
			}
			c = 1 + num/c
			if math.Abs(c) < tiny {
				c = tiny
			}
			d = 1 / d
			h *= d * c
		}
		if math.Abs(d*c-1) < eps {
			break
		}
	}
	return h
}
