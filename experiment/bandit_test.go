package experiment

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestAllocateFloorsAndControl(t *testing.T) {
	// One arm far ahead with much data: without the floor the others would get nothing.
	arms := []Rewards{{Arm: "a"}, {Arm: "b"}, {Arm: "c"}, {Arm: "d"}}
	for i := range 2000 {
		arms[0].Add(0.9)
		arms[1].Add(0.1)
		arms[2].Add(float64(i%2) * 0.4)
		arms[3].Add(0.3)
	}
	for _, tc := range []struct{ control, floor float64 }{{0.5, 0.05}, {0.2, 0.1}, {0, 0.25}, {0.3, 0}} {
		shares, err := Allocate(arms, tc.control, tc.floor, 4000, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		sum := tc.control
		for i, s := range shares {
			if s < tc.floor-1e-12 {
				t.Errorf("control %v floor %v: arm %s has %v, below the floor", tc.control, tc.floor, arms[i].Arm, s)
			}
			sum += s
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("control %v floor %v: shares %v and control sum to %v, want 1", tc.control, tc.floor, shares, sum)
		}
		if free := 1 - tc.control - 4*tc.floor; shares[0] < tc.floor+0.9*free {
			t.Errorf("control %v floor %v: the clearly best arm has %v", tc.control, tc.floor, shares[0])
		}
	}
}

func TestAllocateDeterministic(t *testing.T) {
	arms := []Rewards{{Arm: "a"}, {Arm: "b"}}
	arms[0].Add(0.5)
	arms[0].Add(0.6)
	arms[1].Add(0.55)
	first, _ := Allocate(arms, 0.5, 0.1, 1000, rand.New(rand.NewPCG(42, 0)))
	again, _ := Allocate(arms, 0.5, 0.1, 1000, rand.New(rand.NewPCG(42, 0)))
	other, _ := Allocate(arms, 0.5, 0.1, 1000, rand.New(rand.NewPCG(43, 0)))
	if !slices.Equal(first, again) {
		t.Errorf("same seed, shares %v then %v", first, again)
	}
	if slices.Equal(first, other) {
		t.Errorf("seeds 42 and 43 gave the same shares %v: the draws do not come from the source", first)
	}
}

// TestAllocateConverges runs the bandit for 30 rounds of 300 customers among three policy arms
// that recover 40%, 50% and 60% of invoices, the control keeping 20%: the best arm ends with
// most of the free share, and the others keep their floor.
func TestAllocateConverges(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	truth := []float64{0.4, 0.5, 0.6}
	arms := []Rewards{{Arm: "low"}, {Arm: "mid"}, {Arm: "high"}}
	const control, floor = 0.2, 0.05
	shares := []float64{0.8 / 3, 0.8 / 3, 0.8 / 3}
	for range 30 {
		for range 300 {
			x := rng.Float64() * (1 - control)
			k := 0
			for k < len(shares)-1 && x >= shares[k] {
				x -= shares[k]
				k++
			}
			r := 0.0
			if rng.Float64() < truth[k] {
				r = 1
			}
			arms[k].Add(r)
		}
		var err error
		if shares, err = Allocate(arms, control, floor, 2000, rng); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("shares after 9,000 customers: %.3f", shares)
	if shares[2] < 0.7 {
		t.Errorf("the best arm has %.3f of the traffic after 9,000 customers, want at least 0.7 of 0.8", shares[2])
	}
	if shares[0] < floor || shares[1] < floor {
		t.Errorf("shares %v below the floor %v", shares, floor)
	}
}

// TestAllocateExplores: an arm with no data yet is drawn from the wide prior, so it gets a
// real share next to an arm known to be mediocre.
func TestAllocateExplores(t *testing.T) {
	arms := []Rewards{{Arm: "known"}, {Arm: "new"}}
	for range 500 {
		arms[0].Add(0.5)
	}
	shares, err := Allocate(arms, 0.5, 0.05, 4000, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	if shares[1] < 0.15 {
		t.Errorf("an untried arm gets %.3f next to a known one at 0.5", shares[1])
	}
}

func TestAllocateRejects(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	two := []Rewards{{Arm: "a"}, {Arm: "b"}}
	for name, call := range map[string]func() error{
		"no arm":          func() error { _, err := Allocate(nil, 0.5, 0.1, 10, rng); return err },
		"floors too high": func() error { _, err := Allocate(two, 0.5, 0.3, 10, rng); return err },
		"control 1":       func() error { _, err := Allocate(two, 1, 0, 10, rng); return err },
		"no draws":        func() error { _, err := Allocate(two, 0.5, 0.1, 0, rng); return err },
		"no source":       func() error { _, err := Allocate(two, 0.5, 0.1, 10, nil); return err },
	} {
		if call() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
