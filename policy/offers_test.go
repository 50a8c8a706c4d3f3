package policy

import (
	"slices"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
)

func TestOffers(t *testing.T) {
	plan := "payment_plan: {parts: 3, every: 30d}\n"
	tests := []struct {
		name, src string
		want      []recoup.Offer // of the default segment
		vip       []recoup.Offer // of segment vip, when there is one
		problem   string
	}{
		{name: "none by default", src: "{}\n"},
		{name: "in the file's order", src: plan + "offers: [pause, pay_now, payment_plan]\n",
			want: []recoup.Offer{recoup.OfferPause, recoup.OfferPayNow, recoup.OfferPaymentPlan}},
		{name: "a segment inherits them", src: "offers: [pay_now]\nsegments:\n  - {name: vip, when: 'true'}\n",
			want: []recoup.Offer{recoup.OfferPayNow}, vip: []recoup.Offer{recoup.OfferPayNow}},
		{name: "a segment's list replaces them", src: "offers: [pay_now]\nsegments:\n  - {name: vip, when: 'true', offers: []}\n",
			want: []recoup.Offer{recoup.OfferPayNow}, vip: nil},
		{name: "an unknown offer", src: "offers: [free_month]\n", problem: `offers: unknown offer "free_month"`},
		{name: "twice", src: "offers: [pause, pause]\n", problem: `offer "pause" is listed twice`},
		{name: "a plan offer needs a plan", src: "offers: [payment_plan]\n", problem: "offers: the payment_plan offer needs a payment_plan"},
		{name: "a segment that turns the plan off cannot inherit its offer",
			src:     plan + "offers: [payment_plan]\nsegments:\n  - {name: vip, when: 'true', payment_plan: {parts: 0}}\n",
			problem: "segments[0].payment_plan: the payment_plan offer needs a payment_plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("offers.yaml", []byte(tt.src))
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("Parse error = %v, want one with %q", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.Offers, tt.want) {
				t.Errorf("Offers = %v, want %v", p.Offers, tt.want)
			}
			if strings.Contains(tt.src, "vip") && !slices.Equal(p.For("vip").Offers, tt.vip) {
				t.Errorf("vip's Offers = %v, want %v", p.For("vip").Offers, tt.vip)
			}
		})
	}
}
