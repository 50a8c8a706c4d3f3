package stripeapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// clock is a virtual clock for the fake.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// startFakeWithClock starts a fake Stripe on a clock the test moves, from 1 June 2026.
func startFakeWithClock(t *testing.T) (*stripefake.Server, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	fake := stripefake.New(stripefake.Options{Now: clk.now}).Start()
	t.Cleanup(fake.Close)
	return fake, clk
}

func TestEventsOldestFirstAcrossPages(t *testing.T) {
	ctx := context.Background()
	fake, clk := startFakeWithClock(t)
	failedRenewal(t, fake, stripefake.RenewalParams{}) // before the window
	clk.t = clk.t.Add(time.Hour)
	since := clk.t
	for range 3 {
		r := failedRenewal(t, fake, stripefake.RenewalParams{})
		clk.t = clk.t.Add(time.Minute)
		if err := fake.PayByCustomer(r.InvoiceID, r.PaymentMethodID); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := newTestClient(t, fake, Config{})
	c.pageSize = 2 // several pages per listing

	collect := func(types []string) []recoup.Event {
		t.Helper()
		var out []recoup.Event
		for ev, err := range c.Events(ctx, since, types) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ev)
		}
		return out
	}
	want := func(types []string) []stripefake.Event {
		var out []stripefake.Event
		for _, ev := range fake.Events() {
			if !ev.Created.Before(since) && (len(types) == 0 || slices.Contains(types, ev.Type)) {
				out = append(out, ev)
			}
		}
		return out
	}
	check := func(name string, got []recoup.Event, want []stripefake.Event) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d events, want %d", name, len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i].ID || got[i].Type != want[i].Type || got[i].Origin != recoup.OriginReconcile ||
				!bytes.Equal(got[i].Payload, want[i].Payload) || got[i].ObjectID != want[i].ObjectID {
				t.Errorf("%s: event %d = %s %s, want %s %s", name, i, got[i].ID, got[i].Type, want[i].ID, want[i].Type)
			}
		}
	}

	types := []string{"invoice.payment_failed", "invoice.paid", "customer.updated"}
	check("three types", collect(types), want(types))
	check("all types", collect(nil), want(nil))

	// More than Stripe's 20 types per request: read in groups of 20 (here customer.updated
	// falls in the first group, the invoice types in the second) and merged by creation time.
	// Within one second the order across groups is not known, so compare the sets.
	many := append([]string{}, types...)
	for i := range 20 {
		many = append(many, fmt.Sprintf("d.unused_%02d", i))
	}
	merged := collect(many)
	var gotIDs, wantIDs []string
	for i, ev := range merged {
		gotIDs = append(gotIDs, ev.ID)
		if i > 0 && ev.Created.Before(merged[i-1].Created) {
			t.Errorf("merged listing goes back in time at %d", i)
		}
	}
	for _, ev := range want(types) {
		wantIDs = append(wantIDs, ev.ID)
	}
	slices.Sort(gotIDs)
	slices.Sort(wantIDs)
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("23 types: %v, want %v", gotIDs, wantIDs)
	}
	if n := len(collect([]string{"invoice.payment_failed"})); n != 3 {
		t.Errorf("invoice.payment_failed since the window: %d, want 3", n)
	}
}

func TestEventsListingFailureIsYieldedOnce(t *testing.T) {
	fake := startFake(t)
	c, _ := newTestClient(t, fake, Config{MaxNetworkRetries: -1})
	fake.FailNextRequests(1, http.StatusInternalServerError)
	n := 0
	for _, err := range c.Events(context.Background(), time.Time{}, nil) {
		n++
		if recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
			t.Errorf("err = %v", err)
		}
	}
	if n != 1 {
		t.Errorf("yielded %d times", n)
	}
}

func TestFailedInvoices(t *testing.T) {
	ctx := context.Background()
	fake, clk := startFakeWithClock(t)
	failedRenewal(t, fake, stripefake.RenewalParams{}) // too old
	clk.t = clk.t.Add(24 * time.Hour)
	since := clk.t

	var want []string
	for range 3 {
		want = append([]string{failedRenewal(t, fake, stripefake.RenewalParams{Decline: allCodes}).InvoiceID}, want...)
		clk.t = clk.t.Add(time.Minute)
	}
	paid := failedRenewal(t, fake, stripefake.RenewalParams{})
	if err := fake.PayByCustomer(paid.InvoiceID, paid.PaymentMethodID); err != nil {
		t.Fatal(err)
	}
	cus := fake.CreateCustomer(stripefake.CustomerParams{})
	fake.CreateInvoice(stripefake.InvoiceParams{Customer: cus, AmountDue: 100})                                   // not attempted
	fake.CreateInvoice(stripefake.InvoiceParams{Customer: cus, AmountDue: 100, CollectionMethod: "send_invoice"}) // sent, not charged

	c, _ := newTestClient(t, fake, Config{})
	c.pageSize = 2
	var got []string
	err := c.FailedInvoices(ctx, since, func(inv recoup.Invoice) error {
		got = append(got, inv.ID)
		if inv.Status != recoup.InvoiceOpen || !inv.Attempted || inv.LastPayment == nil || inv.LastPayment.Decline == nil ||
			inv.LastPayment.Decline.NetworkDeclineCode != "05" {
			t.Errorf("invoice %s = %+v, last payment %+v", inv.ID, inv, inv.LastPayment)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("failed invoices %v, want %v (newest first)", got, want)
	}

	stop := errors.New("stop")
	calls := 0
	err = c.FailedInvoices(ctx, since, func(recoup.Invoice) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("callback error: %v after %d calls", err, calls)
	}
}
