package policy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
	"github.com/recoup-hq/recoup/policy"
)

const segmented = `
retry: {schedule_days: [0, 3, 7, 15], max_attempts: 4, hour: 10}
customer_wait: 15d
final_action: leave_past_due
segments:
  - name: enterprise
    when: invoice.amount >= 1000.0 && invoice.interval == "year"
    customer_wait: 45d
    manual_review: true
    final_action: cancel_at_period_end
  - name: vip
    when: customer.metadata["tier"] == "vip" || "price_vip" in invoice.price_ids
    retry: {max_attempts: 6, schedule_days: [0, 2, 4, 7, 10, 14]}
  - name: at-risk
    when: customer.past_failures >= 2 || customer.tenure_days < 30
    retry: {schedule_days: [0, 2, 5]}
  - name: paused-subs
    when: subscription.status == "paused" || subscription.metadata["plan"] == "legacy"
    final_action: pause_collection
  - name: small
    when: 'invoice.currency == "jpy" ? invoice.amount_due < 1000 : invoice.amount < 10.0'
    retry: {max_attempts: 2}
`

func TestSegmentMatching(t *testing.T) {
	p := mustParse(t, segmented)
	base := policy.SegmentFacts{
		Invoice:  policy.InvoiceFacts{AmountDue: 5000, Currency: "usd", Interval: "month"},
		Customer: policy.CustomerFacts{TenureDays: 400},
	}
	for _, tc := range []struct {
		name string
		edit func(*policy.SegmentFacts)
		want string
	}{
		{"an ordinary invoice falls to the default", func(*policy.SegmentFacts) {}, policy.DefaultSegment},
		{"a large annual invoice", func(f *policy.SegmentFacts) { f.Invoice.AmountDue, f.Invoice.Interval = 250_000, "year" }, "enterprise"},
		{"a large monthly invoice is not enterprise", func(f *policy.SegmentFacts) { f.Invoice.AmountDue = 250_000 }, policy.DefaultSegment},
		{"a vip by customer metadata", func(f *policy.SegmentFacts) { f.Customer.Metadata = map[string]string{"tier": "vip"} }, "vip"},
		{"a vip by price", func(f *policy.SegmentFacts) { f.Invoice.PriceIDs = []string{"price_a", "price_vip"} }, "vip"},
		{"first match wins: vip before at-risk", func(f *policy.SegmentFacts) {
			f.Customer.Metadata = map[string]string{"tier": "vip"}
			f.Customer.PastFailures = 3
		}, "vip"},
		{"repeated failures", func(f *policy.SegmentFacts) { f.Customer.PastFailures = 2 }, "at-risk"},
		{"a new customer", func(f *policy.SegmentFacts) { f.Customer.TenureDays = 3 }, "at-risk"},
		{"missing metadata key does not match", func(f *policy.SegmentFacts) { f.Subscription.Metadata = map[string]string{"other": "x"} }, policy.DefaultSegment},
		{"subscription metadata", func(f *policy.SegmentFacts) { f.Subscription.Metadata = map[string]string{"plan": "legacy"} }, "paused-subs"},
		{"a small dollar amount", func(f *policy.SegmentFacts) { f.Invoice.AmountDue = 900 }, "small"},
		{"a small yen amount (zero-decimal)", func(f *policy.SegmentFacts) { f.Invoice.AmountDue, f.Invoice.Currency = 900, "jpy" }, "small"},
		{"a large yen amount", func(f *policy.SegmentFacts) { f.Invoice.AmountDue, f.Invoice.Currency = 90_000, "jpy" }, policy.DefaultSegment},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := base
			tc.edit(&f)
			got, err := p.Match(f)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("segment %q, want %q", got, tc.want)
			}
		})
	}
}

// A segment inherits what it does not set; its view of the policy carries its own rules and
// name, and decisions record both the segment and the policy version.
func TestSegmentRulesInherit(t *testing.T) {
	p := mustParse(t, segmented)
	ent := p.For("enterprise")
	if ent.Segment != "enterprise" || ent.CustomerWait != 45*24*time.Hour || !ent.ManualReview || ent.FinalAction != recoup.FinalCancelAtPeriodEnd {
		t.Fatalf("enterprise rules: %+v", ent.Rules)
	}
	if ent.Retry.MaxAttempts != 4 || len(ent.Retry.Days) != 4 || ent.Version != p.Version || ent.Location != p.Location {
		t.Fatalf("enterprise does not inherit: %+v", ent.Retry)
	}
	vip := p.For("vip")
	if vip.Retry.MaxAttempts != 6 || vip.Retry.Hour != 10 || vip.CustomerWait != 15*24*time.Hour || vip.ManualReview {
		t.Fatalf("vip rules: %+v", vip.Rules)
	}
	if got := p.For("removed-by-a-reload"); got != p || got.Segment != policy.DefaultSegment {
		t.Fatalf("an unknown segment gives the default rules, got %q", got.Segment)
	}
	if p.Retry.MaxAttempts != 4 || p.ManualReview {
		t.Fatal("a segment changed the top-level rules")
	}

	now := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	d := vip.Decide(policy.Facts{Case: recoup.Case{FirstFailedAt: now, LastAttemptAt: now}, Verdict: funds, Charges: 4}, now)
	if d.Kind != recoup.DecideRetry || d.Inputs["segment"] != "vip" || d.Inputs["policy_version"] != p.Version {
		t.Fatalf("vip decision after 4 charges: %+v", d)
	}
	d = ent.Decide(policy.Facts{Case: recoup.Case{FirstFailedAt: now, LastAttemptAt: now}, Verdict: funds, Charges: 4}, now)
	if d.Kind != recoup.DecideFinal || d.FinalAction != recoup.FinalCancelAtPeriodEnd || d.Inputs["manual_review"] != "true" || !strings.Contains(d.Reason, "approves") {
		t.Fatalf("enterprise final decision: %+v", d)
	}
}

// A rule that runs past its cost limit does not match and says why; the next segment is tried.
func TestSegmentRuleCostLimit(t *testing.T) {
	p := mustParse(t, `segments:
  - name: heavy
    when: invoice.price_ids.all(a, invoice.price_ids.all(b, invoice.price_ids.all(c, a + b + c != "")))
  - name: rest
    when: "true"
`)
	ids := make([]string, 60)
	for i := range ids {
		ids[i] = "price_x"
	}
	got, err := p.Match(policy.SegmentFacts{Invoice: policy.InvoiceFacts{PriceIDs: ids}})
	if got != "rest" || err == nil || !strings.Contains(err.Error(), "segment heavy") {
		t.Fatalf("got %q, %v; want rest and the heavy segment's cost error", got, err)
	}
	if got, err := p.Match(policy.SegmentFacts{Invoice: policy.InvoiceFacts{PriceIDs: []string{"a"}}}); got != "heavy" || err != nil {
		t.Fatalf("small list: %q %v", got, err)
	}
}

func TestFactsOf(t *testing.T) {
	now := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	inv := recoup.Invoice{AmountDue: 1999, Currency: "eur", CustomerCountry: "FR", Facts: &recoup.InvoiceFacts{
		Interval: "month", IntervalCount: 1, PriceIDs: []string{"price_1"},
		CustomerCreated: now.Add(-100 * 24 * time.Hour), CustomerMetadata: map[string]string{"tier": "gold"},
		SubscriptionStatus: "past_due", SubscriptionMetadata: map[string]string{"plan": "pro"}}}
	f := policy.FactsOf(inv, 2, now)
	if f.Invoice.AmountDue != 1999 || f.Customer.TenureDays != 100 || f.Customer.PastFailures != 2 || f.Customer.Country != "FR" ||
		f.Subscription.Status != "past_due" || f.Subscription.Metadata["plan"] != "pro" || f.Invoice.Interval != "month" {
		t.Fatalf("facts: %+v", f)
	}
	p := mustParse(t, "segments:\n  - {name: fr, when: 'customer.country == \"FR\" && invoice.amount == 19.99 && customer.tenure_days == 100'}\n")
	if got, err := p.Match(f); got != "fr" || err != nil {
		t.Fatalf("match: %q %v", got, err)
	}
}

func TestDeclineOverrides(t *testing.T) {
	p := mustParse(t, `retry: {schedule_days: [0, 3, 7, 15, 30], max_attempts: 5, min_gap: 1h}
customer_wait: 20d
declines:
  never_retry: [do_not_honor]
  retry_within: {insufficient_funds: 5d, expired_card: 2d, stolen_card: 10d}
`)
	failed := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	c := func(code string) recoup.Case {
		return recoup.Case{FirstFailedAt: failed, LastAttemptAt: failed, LastDecline: &recoup.Decline{Code: "card_declined", DeclineCode: code}}
	}
	verdict := func(code string) decline.Verdict {
		return decline.Classify(&recoup.Decline{Code: "card_declined", DeclineCode: code})
	}
	for _, tc := range []struct {
		name    string
		code    string
		charges int
		now     time.Time
		want    recoup.DecisionKind
		reason  string
	}{
		{"never_retry waits for a new card", "do_not_honor", 0, failed, recoup.DecideWait, "the policy never retries do_not_honor"},
		{"retry_within retries inside the window", "insufficient_funds", 1, failed.Add(time.Hour), recoup.DecideRetry, "day 3"},
		{"retry_within stops when the next slot is past the window", "insufficient_funds", 2, failed.Add(3 * 24 * time.Hour), recoup.DecideWait, "retry window"},
		{"retry_within past the window waits", "insufficient_funds", 1, failed.Add(6 * 24 * time.Hour), recoup.DecideWait, "retry window for insufficient_funds (5d) is over"},
		{"retry_within makes a customer-fix code retryable", "expired_card", 0, failed.Add(time.Hour), recoup.DecideRetry, "charge 1"},
		{"retry_within never retries a hard decline", "stolen_card", 0, failed.Add(time.Hour), recoup.DecideWait, ""},
		{"unlisted codes follow the classifier", "processing_error", 0, failed.Add(time.Hour), recoup.DecideRetry, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := p.Decide(policy.Facts{Case: c(tc.code), Verdict: verdict(tc.code), Charges: tc.charges}, tc.now)
			if d.Kind != tc.want || !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("%s: %s", d.Kind, d.Reason)
			}
		})
	}
}

func TestFinalAfterAndMaxDuration(t *testing.T) {
	failed := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	c := recoup.Case{FirstFailedAt: failed, LastAttemptAt: failed}

	p := mustParse(t, "retry: {schedule_days: [0, 3], max_attempts: 2}\nfinal_action: mark_uncollectible\nfinal_after: 60d\ngrace_period: 7d\n")
	now := failed.Add(4 * 24 * time.Hour)
	d := p.Decide(policy.Facts{Case: c, Verdict: funds, Charges: 2}, now)
	if d.Kind != recoup.DecideFinal || !d.At.Equal(failed.Add(60*24*time.Hour)) || !strings.Contains(d.Reason, "final_after 60d") {
		t.Fatalf("final held to 60 days past due: %+v", d)
	}
	if d.Inputs["grace_ends"] != failed.Add(7*24*time.Hour).Format(time.RFC3339) {
		t.Fatalf("grace end not recorded: %v", d.Inputs)
	}
	d = p.Decide(policy.Facts{Case: c, Verdict: funds, Charges: 2}, failed.Add(61*24*time.Hour))
	if !d.At.Equal(failed.Add(61 * 24 * time.Hour)) {
		t.Fatalf("after the hold the final action is due at once: %v", d.At)
	}

	p = mustParse(t, "retry: {schedule_days: [0, 3, 7, 15], max_attempts: 4, max_duration: 5d}\n")
	d = p.Decide(policy.Facts{Case: c, Verdict: funds, Charges: 1}, failed.Add(time.Hour))
	if d.Kind != recoup.DecideRetry {
		t.Fatalf("day 3 is inside max_duration: %+v", d)
	}
	d = p.Decide(policy.Facts{Case: c, Verdict: funds, Charges: 2}, failed.Add(3*24*time.Hour))
	if d.Kind != recoup.DecideFinal || !strings.Contains(d.Reason, "max_duration 5d") {
		t.Fatalf("day 7 is past max_duration: %+v", d)
	}
}

func TestObserveMode(t *testing.T) {
	if policy.Default().Observing() || policy.Default().Mode != policy.ModeAct {
		t.Fatal("the default policy must act")
	}
	if p := mustParse(t, "mode: observe\n"); !p.Observing() {
		t.Fatal("mode: observe not parsed")
	}
}

func TestSegmentOptionalMetadata(t *testing.T) {
	p := mustParse(t, "segments:\n  - {name: gold, when: 'customer.metadata.?tier.orValue(\"\") == \"gold\"'}\n")
	for tier, want := range map[string]string{"gold": "gold", "": policy.DefaultSegment} {
		f := policy.SegmentFacts{}
		if tier != "" {
			f.Customer.Metadata = map[string]string{"tier": tier}
		}
		if got, err := p.Match(f); got != want || err != nil {
			t.Errorf("tier %q: %q %v, want %q", tier, got, err, want)
		}
	}
}

// YAML anchors and aliases share settings between segments.
func TestAliasesShareSettings(t *testing.T) {
	p := mustParse(t, "retry: &r {hour: 3, max_attempts: 2}\nsegments:\n  - {name: a, when: 'true', retry: *r}\n")
	if a := p.For("a"); a.Retry.Hour != 3 || a.Retry.MaxAttempts != 2 {
		t.Fatalf("segment a retry %+v", a.Retry)
	}
}

func TestPaymentPlanParts(t *testing.T) {
	p := mustParse(t, "payment_plan: {above: 50000, parts: 3, every: 30d}\nsegments:\n  - {name: small, when: invoice.amount_due < 100, payment_plan: {parts: 0}}\n")
	start := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	parts, err := p.PlanParts(recoup.Money{Amount: 100_000, Currency: "usd"}, start)
	if err != nil {
		t.Fatal(err)
	}
	want := []policy.PlanPart{{N: 1, Amount: 33_334, DueAt: start}, {N: 2, Amount: 33_333, DueAt: start.Add(30 * 24 * time.Hour)}, {N: 3, Amount: 33_333, DueAt: start.Add(60 * 24 * time.Hour)}}
	if len(parts) != 3 {
		t.Fatalf("parts %+v", parts)
	}
	for i := range want {
		if parts[i].N != want[i].N || parts[i].Amount != want[i].Amount || !parts[i].DueAt.Equal(want[i].DueAt) {
			t.Errorf("part %d = %+v, want %+v", i+1, parts[i], want[i])
		}
	}
	for _, tc := range []struct {
		pol    *policy.Policy
		amount int64
		want   string
	}{
		{p, 49_999, "a payment plan needs at least 500.00 USD"},
		{p.For("small"), 100_000, "segment small of the policy offers no payment plan"},
		{mustParse(t, "payment_plan: {parts: 12}\n"), 5, "cannot be split into 12 parts"},
	} {
		if _, err := tc.pol.PlanParts(recoup.Money{Amount: tc.amount, Currency: "usd"}, start); recoup.ErrorCode(err) != recoup.EINVALID || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d: %v, want %q", tc.amount, err, tc.want)
		}
	}
}
