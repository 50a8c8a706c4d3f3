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
	status, why, recorded, err := e.route(ctx, now, &ev)
	if err != nil {
		if recoup.ErrorCode(err) == recoup.ENOTFOUND || recoup.ErrorCode(err) == recoup.EINVALID {
			// Permanent: the object is gone or the event is unusable. Record and stop.
			status, why, recorded = recoup.EventFailed, err.Error(), false
		} else {
			return fmt.Errorf("process event %s (%s): %w", ev.ID, ev.Type, err)
		}
	}
	if !recorded {
		if err := e.store.Tx(ctx, func(tx recoup.Tx) error { return tx.SetEventStatus(ev.ID, status, why, now) }); err != nil {
			return fmt.Errorf("process event %s: record status: %w", ev.ID, err)
		}
	}
	e.metrics.EventProcessed(ev.Type, string(status))
	return nil
}

// route dispatches an event by type. recorded reports that the event's status was recorded
// already, in the transaction of the observation it led to.
func (e *Engine) route(ctx context.Context, now time.Time, ev *recoup.Event) (status recoup.EventStatus, why string, recorded bool, err error) {
	src := Source{EventID: ev.ID, EventType: ev.Type}
	switch ev.Type {
	case "invoice.payment_failed", "invoice.paid", "invoice.payment_succeeded", "invoice.voided", "invoice.marked_uncollectible":
		status, why, err = e.observeInvoice(ctx, now, ev.ObjectID, Observation{Source: src, EventCreated: ev.Created, recordEvent: ev.ID})
		return status, why, err == nil && ev.ObjectID != "", err
	case "invoice.payment_action_required":
		status, why, err = e.observeInvoice(ctx, now, ev.ObjectID, Observation{Source: src, EventCreated: ev.Created, ActionRequired: true, recordEvent: ev.ID})
		return status, why, err == nil && ev.ObjectID != "", err
	}
	status, why, err = e.routeOther(ctx, now, ev, src)
	return status, why, false, err
}

func (e *Engine) routeOther(ctx context.Context, now time.Time, ev *recoup.Event, src Source) (recoup.EventStatus, string, error) {
	switch ev.Type {
	case "customer.subscription.deleted":
		return e.observeCustomer(ctx, now, ev.CustomerID, ev.ObjectID, Observation{Source: src, SubscriptionCanceled: true})
	case "payment_method.attached", "payment_method.automatically_updated":
		if ev.CustomerID == "" {
			return recoup.EventIgnored, "payment method has no customer", nil
		}
		return e.paymentMethodChanged(ctx, now, ev.CustomerID, Observation{Source: src, NewPaymentMethodID: ev.ObjectID,
			CardRefreshed: ev.Type == "payment_method.automatically_updated", EventCreated: ev.Created})
	case "customer.updated":
		if !ev.HasChanged("invoice_settings.default_payment_method") && !ev.HasChanged("default_source") {
			return recoup.EventIgnored, "default payment method unchanged", nil
		}
		pm := defaultPaymentMethod(ev.Payload)
		if pm == "" {
			return recoup.EventIgnored, "default payment method removed", nil
		}
		return e.paymentMethodChanged(ctx, now, ev.ObjectID, Observation{Source: src, NewPaymentMethodID: pm, EventCreated: ev.Created})
	case "customer.source.expiring", "invoice.upcoming":
		return e.preDun(ctx, now, ev.CustomerID)
	case "invoice.finalized":
		return e.planReminders(ctx, now, ev.ObjectID)
	case "invoice.updated":
		if ev.HasChanged("auto_advance") {
			if status, why, err := e.collectionChanged(ctx, now, ev.ObjectID); err != nil || status != "" {
				return status, why, err
			}
		}
		return e.paidInPart(ctx, now, ev.ObjectID, Observation{Source: src, EventCreated: ev.Created})
	case "invoice_payment.paid":
		return e.paidInPart(ctx, now, paymentInvoice(ev.Payload), Observation{Source: src, EventCreated: ev.Created})
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
	return e.observeEvent(ctx, now, obs)
}

// observeEvent observes obs for an event and gives the event's status.
func (e *Engine) observeEvent(ctx context.Context, now time.Time, obs Observation) (recoup.EventStatus, string, error) {
	res, err := e.Observe(ctx, now, obs)
	if err != nil {
		return "", "", err
	}
	status, why := res.eventStatus()
	return status, why, nil
}

// eventStatus is the status of an event whose processing observed res.
func (res Observed) eventStatus() (recoup.EventStatus, string) {
	if res.CaseID == 0 {
		return recoup.EventIgnored, res.Note
	}
	return recoup.EventProcessed, res.Note
}

// observeCustomer observes every open case of the customer (and subscription, if given).
func (e *Engine) observeCustomer(ctx context.Context, now time.Time, customerID, subscriptionID string, obs Observation) (recoup.EventStatus, string, error) {
	var cases []recoup.Case
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		var err error
		cases, err = tx.OpenCases(customerID, subscriptionID)
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("cases of customer %s: %w", customerID, err)
	}
	if len(cases) == 0 {
		return recoup.EventIgnored, "no open case for the customer", nil
	}
	return e.observeCases(ctx, now, cases, obs)
}

// paymentMethodChanged records a change to the customer's payment methods, then observes it
// on each open case. The change is kept even when no case is open: Stripe does not order its
// events, and its card updater may refresh a card at the decline itself, so the failure the
// change answers may be delivered or processed after it. The case that failure opens applies
// the change (observe.go). Recording and listing the open cases share one transaction, which
// holds the customer's lock (see recoup.Tx.RecordPaymentMethodChange): a case opening at the
// same moment either is listed here or reads the change.
func (e *Engine) paymentMethodChanged(ctx context.Context, now time.Time, customerID string, obs Observation) (recoup.EventStatus, string, error) {
	ch := recoup.PaymentMethodChange{CustomerID: customerID, PaymentMethodID: obs.NewPaymentMethodID,
		Refreshed: obs.CardRefreshed, At: obs.EventCreated, EventID: obs.Source.EventID}
	if ch.At.IsZero() {
		ch.At = now.Truncate(time.Second) // not from an event; Stripe's times are whole seconds
	}
	var cases []recoup.Case
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		if err := tx.RecordPaymentMethodChange(&ch); err != nil {
			return err
		}
		var err error
		cases, err = tx.OpenCases(customerID, "")
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("payment method change of customer %s: %w", customerID, err)
	}
	if len(cases) == 0 {
		return recoup.EventProcessed, "no open case for the customer: the change is kept for a case that opens", nil
	}
	return e.observeCases(ctx, now, cases, obs)
}

// observeCases observes obs on each of the cases, each in a transaction of its own.
func (e *Engine) observeCases(ctx context.Context, now time.Time, cases []recoup.Case, obs Observation) (recoup.EventStatus, string, error) {
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
