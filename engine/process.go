package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
)

// ProcessEvent handles a stored event: it re-reads what the event is about from Stripe and
// observes it. Processing is idempotent: an event already processed is skipped, and observing
// the same facts twice changes nothing, so duplicates and any order of events are harmless.
func (e *Engine) ProcessEvent(ctx context.Context, now time.Time, id string) error {
	ev, err := e.store.Event(ctx, id)
	if err != nil {
		return fmt.Errorf("process event %s: %w", id, err)
	}
	if ev.Status != recoup.EventPending {
		return nil
	}
	status, why, err := e.route(ctx, now, &ev)
	if err != nil {
		if recoup.ErrorCode(err) == recoup.ENOTFOUND || recoup.ErrorCode(err) == recoup.EINVALID {
			// Permanent: the object is gone or the event is unusable. Record and stop.
			status, why = recoup.EventFailed, err.Error()
		} else {
			return fmt.Errorf("process event %s (%s): %w", ev.ID, ev.Type, err)
		}
	}
	if err := e.store.Tx(ctx, func(tx recoup.Tx) error { return tx.SetEventStatus(ev.ID, status, why, now) }); err != nil {
		return fmt.Errorf("process event %s: record status: %w", ev.ID, err)
	}
	e.metrics.EventProcessed(ev.Type, string(status))
	return nil
}

// route dispatches an event by type.
func (e *Engine) route(ctx context.Context, now time.Time, ev *recoup.Event) (recoup.EventStatus, string, error) {
	src := Source{EventID: ev.ID, EventType: ev.Type}
	switch ev.Type {
	case "invoice.payment_failed", "invoice.paid", "invoice.payment_succeeded", "invoice.voided", "invoice.marked_uncollectible":
		return e.observeInvoice(ctx, now, ev.ObjectID, Observation{Source: src})
	case "invoice.payment_action_required":
		return e.observeInvoice(ctx, now, ev.ObjectID, Observation{Source: src, ActionRequired: true})
	case "customer.subscription.deleted":
		return e.observeCustomer(ctx, now, ev.CustomerID, ev.ObjectID, Observation{Source: src, SubscriptionCanceled: true})
	case "payment_method.attached", "payment_method.automatically_updated":
		if ev.CustomerID == "" {
			return recoup.EventIgnored, "payment method has no customer", nil
		}
		return e.observeCustomer(ctx, now, ev.CustomerID, "", Observation{Source: src, NewPaymentMethodID: ev.ObjectID,
			CardRefreshed: ev.Type == "payment_method.automatically_updated", EventCreated: ev.Created})
	case "customer.updated":
		if !ev.HasChanged("invoice_settings.default_payment_method") && !ev.HasChanged("default_source") {
			return recoup.EventIgnored, "default payment method unchanged", nil
		}
		pm := defaultPaymentMethod(ev.Payload)
		if pm == "" {
			return recoup.EventIgnored, "default payment method removed", nil
		}
		return e.observeCustomer(ctx, now, ev.ObjectID, "", Observation{Source: src, NewPaymentMethodID: pm, EventCreated: ev.Created})
	}
	return recoup.EventIgnored, "event type not handled", nil
}

func (e *Engine) observeInvoice(ctx context.Context, now time.Time, invoiceID string, obs Observation) (recoup.EventStatus, string, error) {
	if invoiceID == "" {
		return recoup.EventFailed, "event has no invoice id", nil
	}
	inv, err := e.gw.Invoice(ctx, invoiceID)
	if err != nil {
		return "", "", fmt.Errorf("read invoice %s: %w", invoiceID, err)
	}
	obs.Invoice = inv
	res, err := e.Observe(ctx, now, obs)
	if err != nil {
		return "", "", err
	}
	if res.CaseID == 0 {
		return recoup.EventIgnored, res.Note, nil
	}
	return recoup.EventProcessed, res.Note, nil
}

// observeCustomer observes every active case of the customer (and subscription, if given).
func (e *Engine) observeCustomer(ctx context.Context, now time.Time, customerID, subscriptionID string, obs Observation) (recoup.EventStatus, string, error) {
	var cases []recoup.Case
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		var err error
		cases, err = tx.ActiveCases(customerID, subscriptionID)
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("cases of customer %s: %w", customerID, err)
	}
	if len(cases) == 0 {
		return recoup.EventIgnored, "no active case for the customer", nil
	}
	for _, c := range cases {
		if _, _, err := e.observeInvoice(ctx, now, c.InvoiceID, obs); err != nil {
			return "", "", err
		}
	}
	return recoup.EventProcessed, fmt.Sprintf("observed %d case(s)", len(cases)), nil
}

// defaultPaymentMethod extracts the customer's new default payment method from a
// customer.updated payload (an id, or an expanded object).
func defaultPaymentMethod(payload []byte) string {
	var ev struct {
		Data struct {
			Object struct {
				InvoiceSettings struct {
					DefaultPaymentMethod json.RawMessage `json:"default_payment_method"`
				} `json:"invoice_settings"`
				DefaultSource json.RawMessage `json:"default_source"`
			} `json:"object"`
		} `json:"data"`
	}
	if json.Unmarshal(payload, &ev) != nil {
		return ""
	}
	for _, raw := range []json.RawMessage{ev.Data.Object.InvoiceSettings.DefaultPaymentMethod, ev.Data.Object.DefaultSource} {
		var id string
		if json.Unmarshal(raw, &id) == nil && id != "" {
			return id
		}
		var obj struct{ ID string }
		if json.Unmarshal(raw, &obj) == nil && obj.ID != "" {
			return obj.ID
		}
	}
	return ""
}
