package policy

import (
	"slices"
	"strings"

	"github.com/recoup-hq/recoup"
)

// offers validates a rules section's offers: (the customer's choices on the card update page).
// A segment's list replaces the inherited one; [] turns them off. Checked against the rules as
// they end up, so a segment that turns its payment plan off cannot keep offering one.
func (v *validator) offers(path string, r *RulesFile, out *Rules) {
	if r.Offers != nil {
		out.Offers = nil
		for i, name := range r.Offers {
			o := recoup.Offer(name)
			switch {
			case !o.Valid():
				v.fail(path+".offers", "unknown offer %q: use %s", name, offerList())
			case slices.Contains(out.Offers, o):
				v.fail(path+".offers", "offer %q is listed twice (item %d)", name, i)
			default:
				out.Offers = append(out.Offers, o)
			}
		}
	}
	if slices.Contains(out.Offers, recoup.OfferPaymentPlan) && out.PaymentPlan == nil {
		where := path + ".offers"
		if r.Offers == nil {
			where = path + ".payment_plan"
		}
		v.fail(where, "the payment_plan offer needs a payment_plan (parts, every) in the same rules, or take it out of offers")
	}
}

func offerList() string {
	names := make([]string, len(recoup.AllOffers))
	for i, o := range recoup.AllOffers {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}
