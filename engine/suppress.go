package engine

import (
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
)

// The suppression list in the campaign: a customer who bounced or unsubscribed on a channel
// gets no more steps on it.

// addressed reports whether a permanent refusal on the channel is about the customer's
// address (a hard bounce), rather than about the merchant's endpoint.
func addressed(channel string) bool { return channel == "email" || channel == "sms" }

// unreachable says why the customer cannot get m ("" if they can): the customer is on the
// suppression list for the channel (a hard bounce, an unsubscribe). A message without an
// address is the channel's to refuse: some channels (the simulator's) need none.
func (e *Engine) unreachable(tx recoup.Tx, c recoup.Case, m recoup.Message) (string, error) {
	if c.CustomerID == "" {
		return "", nil
	}
	s, err := tx.Suppression(c.CustomerID, m.Channel)
	switch {
	case recoup.IsNotFound(err):
		return "", nil
	case err != nil:
		return "", err
	}
	why := fmt.Sprintf("the customer is suppressed on %s since %s (%s)", m.Channel, s.CreatedAt.UTC().Format(time.DateOnly), s.Reason)
	if s.Detail != "" {
		why += ": " + s.Detail
	}
	return why, nil
}

// bounced records a permanent refusal on an addressed channel as a suppression, so the
// campaign's later steps on the channel are skipped, for this case and the customer's others.
// A message that had no address is not a bounce: there is nothing to suppress.
func (e *Engine) bounced(tx recoup.Tx, c *recoup.Case, now time.Time, m recoup.Message, sendErr error) error {
	if !addressed(m.Channel) || c.CustomerID == "" || m.To == "" {
		return nil
	}
	s := recoup.Suppression{CustomerID: c.CustomerID, Channel: m.Channel, Reason: recoup.SuppressBounce,
		Detail: sendErr.Error(), CaseID: c.ID, CreatedAt: now}
	if err := tx.InsertSuppression(&s); err != nil {
		return err
	}
	return note(tx, c, now, recoup.EntryMessage, fmt.Sprintf("%s to the customer bounced for good: later %s steps are skipped", m.Channel, m.Channel),
		map[string]any{"channel": m.Channel, "reason": s.Reason})
}
