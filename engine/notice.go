package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
)

// Notices: messages to a customer that belong to no recovery case (a card expiring before the
// next renewal, reminders of an invoice sent to be paid). Like a campaign step, a notice is
// recorded before it is handed to its channel and its key keeps it from being sent twice.

// NoticeConfig configures the notices. The zero value sends none.
type NoticeConfig struct {
	// Channel is the channel of every notice ("email"); "" sends none.
	Channel string
	// CardExpiring turns pre-dunning on: a notice when the card a subscription's next renewal
	// charges expires before it.
	CardExpiring bool
	// CardExpiringWithin is how close a renewal must be for its notice (default 45 days): far
	// renewals get theirs from a later check (invoice.upcoming).
	CardExpiringWithin time.Duration
	// InvoiceDueDays is the schedule of reminders of an invoice sent to be paid by the
	// customer, in days relative to its due date (-3: three days before); empty sends none.
	InvoiceDueDays []int
}

// DefaultCardExpiringWithin is NoticeConfig.CardExpiringWithin's default.
const DefaultCardExpiringWithin = 45 * 24 * time.Hour

// sendNotice records notice n (its Kind, Key, customer and due date set) unless a notice of the
// key exists, writes it from draft d, hands it to the channel, and records the answer. A
// notice recorded before whose send failed temporarily is sent again; one whose send was
// interrupted without an answer is marked failed rather than risk a duplicate. A temporary
// channel error is returned, so the job that called is retried.
func (e *Engine) sendNotice(ctx context.Context, now time.Time, n recoup.Notice, d Draft) error {
	send := false
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		old, err := tx.NoticeByKey(n.Kind, n.Key)
		switch {
		case err == nil:
			n = old
			if n.Status != recoup.MessagePending {
				return nil // sent, failed or skipped already
			}
			if n.Error == "" {
				n.Status, n.Error = recoup.MessageFailed, "send interrupted without an answer: not sent again to avoid a duplicate"
				return tx.UpdateNotice(&n)
			}
		case !recoup.IsNotFound(err):
			return err
		default:
			n.Status, n.CreatedAt = recoup.MessagePending, now
			if err := tx.InsertNotice(&n); err != nil {
				return fmt.Errorf("record notice %s %s: %w", n.Kind, n.Key, err)
			}
			d.NoticeID = n.ID
			out, err := e.renderer.Render(d)
			switch {
			case recoup.ErrorCode(err) == recoup.EINVALID:
				n.Status, n.Error = recoup.MessageFailed, "could not be written: "+err.Error()
				return tx.UpdateNotice(&n)
			case err != nil:
				return fmt.Errorf("render notice %s %s: %w", n.Kind, n.Key, err)
			}
			n.Subject, n.Text, n.HTML = out.Subject, out.Text, out.HTML
		}
		why, err := e.unreachable(tx, recoup.Case{CustomerID: n.CustomerID}, recoup.Message{Channel: n.Channel})
		if err != nil {
			return err
		}
		if why != "" {
			n.Status, n.Error = recoup.MessageSkipped, why
		}
		send = why == ""
		return tx.UpdateNotice(&n)
	})
	if err != nil || !send {
		return err
	}
	var sendErr error
	if e.notifier == nil {
		sendErr = errNoChannel
	} else {
		m := n.Message()
		d.NoticeID, d.Now = n.ID, now
		if sendErr = e.relink(&m, d); sendErr == nil {
			sendErr = e.notifier.Send(ctx, m)
		}
	}
	temporary := false
	err = e.store.Tx(ctx, func(tx recoup.Tx) error {
		switch code := recoup.ErrorCode(sendErr); {
		case sendErr == nil:
			n.Status, n.SentAt, n.Error = recoup.MessageSent, now, ""
		case errors.Is(sendErr, errNoChannel):
			n.Status, n.Error = recoup.MessageSkipped, sendErr.Error()
		case code == recoup.EINVALID:
			n.Status, n.Error = recoup.MessageFailed, sendErr.Error()
			if addressed(n.Channel) && n.To != "" {
				// A hard bounce: the customer's later messages on the channel are skipped too.
				s := recoup.Suppression{CustomerID: n.CustomerID, Channel: n.Channel, Reason: recoup.SuppressBounce, Detail: sendErr.Error(), CreatedAt: now}
				if err := tx.InsertSuppression(&s); err != nil {
					return err
				}
			}
		default:
			temporary = true
			n.Error = sendErr.Error()
		}
		return tx.UpdateNotice(&n)
	})
	if err == nil && temporary {
		return fmt.Errorf("notice %s %s: %w", n.Kind, n.Key, sendErr)
	}
	if err == nil {
		e.log.InfoContext(ctx, "notice", "kind", n.Kind, "notice", n.ID, "status", string(n.Status))
	}
	return err
}

// noticesOn reports whether notices can be written and sent at all.
func (e *Engine) noticesOn() bool { return e.notices.Channel != "" && e.renderer != nil }

// preDun checks the customer's renewals and sends a card_expiring notice for each that will
// charge a card expiring before it, within the horizon: from customer.source.expiring (the
// card expires this month) and invoice.upcoming (a renewal is near).
//
// Like a campaign step, the notice goes out at the campaign's hour in the customer's time zone
// and never in their quiet hours: an event that comes earlier (or at night) plans a
// card_expiring job for that time, which checks the renewals again then.
func (e *Engine) preDun(ctx context.Context, now time.Time, customerID string) (recoup.EventStatus, string, error) {
	return e.cardExpiring(ctx, now, customerID, false)
}

// CardExpiringNotices runs a card_expiring job: the customer's renewals are checked again and
// the notices due are sent now, the time the job was planned for.
func (e *Engine) CardExpiringNotices(ctx context.Context, now time.Time, customerID string) error {
	_, _, err := e.cardExpiring(ctx, now, customerID, true)
	if err != nil {
		return fmt.Errorf("card expiring notices of %s: %w", customerID, err)
	}
	return nil
}

// cardExpiring sends the card expiring notices due to the customer; planned says the time to
// send was chosen already (the card_expiring job), else a send outside the customer's hours
// is planned as a job.
func (e *Engine) cardExpiring(ctx context.Context, now time.Time, customerID string, planned bool) (recoup.EventStatus, string, error) {
	rg, ok := e.gw.(recoup.RenewalGateway)
	switch {
	case !e.notices.CardExpiring || !e.noticesOn():
		return recoup.EventIgnored, "card expiry notices are off", nil
	case !ok:
		return recoup.EventIgnored, "the gateway cannot read renewals", nil
	case customerID == "":
		return recoup.EventIgnored, "the event names no customer", nil
	}
	renewals, err := rg.Renewals(ctx, customerID)
	if err != nil {
		return "", "", fmt.Errorf("renewals of %s: %w", customerID, err)
	}
	within := e.notices.CardExpiringWithin
	if within <= 0 {
		within = DefaultCardExpiringWithin
	}
	var cus recoup.Customer
	read := false
	sent := 0
	for _, r := range renewals {
		if !r.CardExpiresBefore() || !r.RenewsAt.After(now) || r.RenewsAt.Sub(now) > within {
			continue
		}
		if !read {
			if cus, err = e.noticeCustomer(ctx, customerID); err != nil {
				return "", "", err
			}
			read = true
			if at := noticeNowAt(e.Policy(), noticeZone(cus.Country, cus.Region, e.Policy()), now); !planned && at.After(now) {
				job := recoup.Job{Kind: recoup.JobCardExpiring, CustomerID: customerID, RunAt: at}
				if err := e.store.Tx(ctx, func(tx recoup.Tx) error { return tx.Enqueue(job) }); err != nil {
					return "", "", fmt.Errorf("plan card expiring notice of %s: %w", customerID, err)
				}
				return recoup.EventProcessed, "card expiry notice planned for " + at.UTC().Format(time.RFC3339) + ", the customer's local send hour", nil
			}
		}
		n := recoup.Notice{Kind: recoup.NoticeCardExpiring, CustomerID: customerID, SubscriptionID: r.SubscriptionID,
			PaymentMethodID: r.PaymentMethodID, DueAt: r.RenewsAt, Channel: e.notices.Channel, To: cus.Email,
			// Once per customer, card and renewal: a second event about the same card and
			// renewal, or a check of the customer's other subscription on the same day, adds none.
			Key: fmt.Sprintf("%s/%s/%s", customerID, r.PaymentMethodID, r.RenewsAt.UTC().Format(time.DateOnly))}
		d := Draft{Case: recoup.Case{CustomerID: customerID, SubscriptionID: r.SubscriptionID, CustomerEmail: cus.Email, Amount: r.Amount},
			Customer: cus, Channel: e.notices.Channel, Template: recoup.NoticeCardExpiring, Tone: "neutral", DueAt: r.RenewsAt, Now: now}
		if err := e.sendNotice(ctx, now, n, d); err != nil {
			return "", "", err
		}
		sent++
	}
	if sent == 0 {
		return recoup.EventIgnored, "no near renewal is charged to a card expiring before it", nil
	}
	return recoup.EventProcessed, fmt.Sprintf("card expiry notice for %d renewal(s)", sent), nil
}

// noticeCustomer reads the customer a notice goes to: address, name, languages.
func (e *Engine) noticeCustomer(ctx context.Context, id string) (recoup.Customer, error) {
	if e.customers == nil {
		return recoup.Customer{ID: id}, nil
	}
	cus, err := e.customers.Customer(ctx, id)
	if err != nil {
		return recoup.Customer{}, fmt.Errorf("read customer %s: %w", id, err)
	}
	return cus, nil
}
