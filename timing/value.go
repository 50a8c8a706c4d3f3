package timing

// The amounts the account's outcomes were charged for. A retry's worth grows with the invoice's
// amount while its cost (a declined charge's fees, the card's standing with its issuer, the
// networks' caps) does not, so a policy may give the account's largest invoices more tries
// (policy retry.large_invoices). What "large" means is the account's own: the model counts, in
// the amount buckets of its features, every outcome it learned from (recoup's charges, Stripe's,
// the imported history's), with no figure taken from anywhere else.

// amountBuckets are amountBucket's values, smallest first.
var amountBuckets = []string{"<20", "20-50", "50-100", "100-300", "300-1000", "1000+"}

// AmountRank says where an amount stands among the amounts of the outcomes the model learned
// from: Above is the share of those outcomes in a higher amount bucket than this amount's, At
// the share in the same bucket; Outcomes is how many there are. Buckets are amountBucket's
// (about ×2.5 apart, currencies not converted).
type AmountRank struct {
	Bucket    string
	Above, At float64
	Outcomes  int64
}

// RankAmount ranks an amount of currency (minor units) among the model's outcomes.
func (m *Model) RankAmount(minor int64, currency string) AmountRank {
	r := AmountRank{Bucket: amountBucket(minor, currency)}
	var above, at int64
	seen := false
	for _, b := range amountBuckets {
		n := m.Weights["amount:"+b].N
		r.Outcomes += n
		switch {
		case b == r.Bucket:
			at, seen = n, true
		case seen:
			above += n
		}
	}
	if r.Outcomes > 0 {
		r.Above = float64(above) / float64(r.Outcomes)
		r.At = float64(at) / float64(r.Outcomes)
	}
	return r
}

// Top reports whether the amount is among the top share of the account's amounts: fewer than
// share of the outcomes were charged for as much or more (its own bucket included), out of at
// least min outcomes.
func (r AmountRank) Top(share float64, min int64) bool {
	return r.Outcomes >= min && r.Above+r.At <= share
}
