package experiment

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkCompute100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	units := make([]Unit, 100_000)
	for i := range units {
		arm := "stripe"
		if rng.Float64() < 0.5 {
			arm = "recoup"
		}
		units[i] = customer(rng, arm, 0.5, 0.5, int64(i))
	}
	cfg := Config{Control: "stripe", Arms: []string{"stripe", "recoup"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compute(units, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
