package stripeapi

import (
	"context"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// PaymentMethods lists the customer's saved payment methods of every type (GET
// /v1/payment_methods?customer=, newest first as Stripe lists them), for a backup charge
// (recoup.BackupGateway). Only what tells methods apart and describes them is kept: type,
// brand or bank, last 4, fingerprint, a card's expiry. A customer Stripe does not know (or
// deleted) has none.
func (c *Client) PaymentMethods(ctx context.Context, customerID string) ([]recoup.SavedMethod, error) {
	if customerID == "" {
		return nil, recoup.Errorf(recoup.EINVALID, "stripe: list payment methods: empty customer")
	}
	var out []recoup.SavedMethod
	list := func(after *string) *listPage[*stripe.PaymentMethod] {
		return c.sc.V1PaymentMethods.List(ctx, &stripe.PaymentMethodListParams{
			ListParams: stripe.ListParams{Limit: stripe.Int64(c.pageSize), Single: true, StartingAfter: after},
			Customer:   stripe.String(customerID),
		})
	}
	err := pages(ctx, c, "list payment methods", "", list, func(pm *stripe.PaymentMethod) string { return pm.ID }, func(data []*stripe.PaymentMethod) bool {
		for _, pm := range data {
			out = append(out, savedMethod(pm))
		}
		return true
	})
	if err != nil {
		err = mapError(err, "list the payment methods of customer %s", customerID)
		if recoup.ErrorCode(err) == recoup.ENOTFOUND {
			return nil, nil
		}
		return nil, err
	}
	return out, nil
}

// savedMethod keeps what a backup charge needs of a payment method, whatever its type.
func savedMethod(pm *stripe.PaymentMethod) recoup.SavedMethod {
	m := recoup.SavedMethod{ID: pm.ID, Type: string(pm.Type)}
	switch {
	case pm.Card != nil:
		m.Brand, m.Last4, m.Fingerprint = string(pm.Card.Brand), pm.Card.Last4, pm.Card.Fingerprint
		m.ExpYear, m.ExpMonth = int(pm.Card.ExpYear), int(pm.Card.ExpMonth)
	case pm.SEPADebit != nil:
		m.Brand, m.Last4, m.Fingerprint = "SEPA debit", pm.SEPADebit.Last4, pm.SEPADebit.Fingerprint
	case pm.USBankAccount != nil:
		m.Brand, m.Last4, m.Fingerprint = pm.USBankAccount.BankName, pm.USBankAccount.Last4, pm.USBankAccount.Fingerprint
	case pm.BACSDebit != nil:
		m.Brand, m.Last4, m.Fingerprint = "Bacs debit", pm.BACSDebit.Last4, pm.BACSDebit.Fingerprint
	case pm.AUBECSDebit != nil:
		m.Brand, m.Last4, m.Fingerprint = "BECS debit", pm.AUBECSDebit.Last4, pm.AUBECSDebit.Fingerprint
	case pm.ACSSDebit != nil:
		m.Brand, m.Last4, m.Fingerprint = pm.ACSSDebit.BankName, pm.ACSSDebit.Last4, pm.ACSSDebit.Fingerprint
	}
	return m
}

var _ recoup.BackupGateway = (*Client)(nil)
