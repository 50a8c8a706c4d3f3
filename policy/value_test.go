package policy_test

import (
	"strings"
	"testing"

	"github.com/recoup-hq/recoup/policy"
)

func TestLargeInvoicesParse(t *testing.T) {
	p, err := policy.Parse("p.yaml", []byte(`
retry:
  strategy: model
  max_attempts: 6
  model: {min_probability: 0.05}
  large_invoices: {top_share: 0.1, max_attempts: 8, min_probability: 0.02}
segments:
  - name: cautious
    when: customer.past_failures >= 2
    retry:
      large_invoices: {top_share: 0}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := policy.LargeInvoices{TopShare: 0.1, MaxAttempts: 8, MinProbability: 0.02}
	if got := p.Retry.LargeInvoices; got != want {
		t.Errorf("retry.large_invoices = %+v, want %+v", got, want)
	}
	q, why := p.ForLargeInvoice("1000+ usd")
	if q.Retry.MaxAttempts != 8 || q.Retry.Model.MinProbability != 0.02 || p.Retry.MaxAttempts != 6 || p.Retry.Model.MinProbability != 0.05 {
		t.Errorf("ForLargeInvoice: %d charges, p ≥ %v (the policy's own now %d, %v)", q.Retry.MaxAttempts, q.Retry.Model.MinProbability,
			p.Retry.MaxAttempts, p.Retry.Model.MinProbability)
	}
	if want := "large invoice (1000+ usd): up to 8 charges, p ≥ 0.02"; why != want {
		t.Errorf("ForLargeInvoice says %q, want %q", why, want)
	}
	if p.Segments[0].Retry.LargeInvoices.On() || p.Segments[0].Retry.LargeInvoices.MaxAttempts != 8 {
		t.Errorf("segment cautious: %+v, want off, the rest inherited", p.Segments[0].Retry.LargeInvoices)
	}
	if o, err := policy.Parse("o.yaml", []byte("retry: {max_attempts: 6, large_invoices: {top_share: 0.1}}\n")); err != nil {
		t.Fatal(err)
	} else if q, _ := o.ForLargeInvoice(""); q.Retry.MaxAttempts != 6 || q.Retry.Model.MinProbability != 0.05 {
		t.Errorf("large_invoices without its budget or probability: %d charges, p ≥ %v; want the policy's 6 and 0.05", q.Retry.MaxAttempts, q.Retry.Model.MinProbability)
	}
	if d, err := policy.Parse("d.yaml", []byte("{}")); err != nil || d.Retry.LargeInvoices.On() {
		t.Errorf("a policy that does not set it: %+v, %v; want off", d.Retry.LargeInvoices, err)
	}
}

// Only ever more tries: a setting below the policy's own budget, or above its least probability,
// leaves them.
func TestLargeInvoicesNeverFewerTries(t *testing.T) {
	p, err := policy.Parse("p.yaml", []byte("retry: {max_attempts: 6, large_invoices: {top_share: 0.1, max_attempts: 3, min_probability: 0.2}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	q, _ := p.ForLargeInvoice("")
	if q.Retry.MaxAttempts != 6 || q.Retry.Model.MinProbability != 0.05 {
		t.Errorf("ForLargeInvoice: %d charges, p ≥ %v; want the policy's 6 and 0.05", q.Retry.MaxAttempts, q.Retry.Model.MinProbability)
	}
}

func TestLargeInvoicesValidation(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"retry: {large_invoices: {top_share: 0.6}}\n", "retry.large_invoices.top_share: must be 0 (off) to 0.5"},
		{"retry: {large_invoices: {max_attempts: 21}}\n", "retry.large_invoices.max_attempts: must be 0-20"},
		{"retry: {large_invoices: {min_probability: 1}}\n", "retry.large_invoices.min_probability: must be 0 or more and below 1"},
		{"retry: {large_invoices: {top: 0.1}}\n", `unknown key "top"`},
	} {
		_, err := policy.Parse("p.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
