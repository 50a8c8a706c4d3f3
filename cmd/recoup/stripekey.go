package main

import (
	"context"
	"time"

	"github.com/recoup-hq/recoup/dashboard"
	"github.com/recoup-hq/recoup/stripeapi"
)

// Checks of the Stripe key by serve: one at start, bounded so that an unreachable Stripe
// delays the start by little, then one a minute while the key is not known to be accepted
// (refused, or Stripe unreachable at start), so that readiness returns even when no job
// calls Stripe. Any job's request updates the key's state too.
const (
	keyCheckTimeout = 10 * time.Second
	keyRecheckEvery = time.Minute
)

// checkStripeKey asks Stripe whether it accepts the key. A refusal is logged at ERROR by the
// Stripe client and makes the service unready; it does not stop the service, whose webhook
// intake must go on storing events.
func (a *app) checkStripeKey(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, keyCheckTimeout)
	defer cancel()
	if err := a.stripe.CheckKey(ctx); err != nil && a.stripe.KeyStatus().State == stripeapi.KeyUnchecked {
		a.log.Warn("could not check the Stripe API key; checking again in a minute", "error", err.Error())
	}
}

// watchStripeKey checks the key again every keyRecheckEvery while it is not accepted, until
// ctx ends.
func (a *app) watchStripeKey(ctx context.Context) {
	go func() {
		t := time.NewTicker(keyRecheckEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if a.stripe.KeyStatus().State != stripeapi.KeyAccepted {
				a.checkStripeKey(ctx)
			}
		}
	}()
}

// stripeReady is the readiness of the Stripe key: not ready while Stripe refuses it.
func (a *app) stripeReady(context.Context) error { return a.stripe.KeyStatus().Err() }

// dashboardKey is the key's status as the operations page shows it.
func dashboardKey(s stripeapi.KeyStatus) dashboard.StripeKey {
	k := dashboard.StripeKey{Answered: s.State != stripeapi.KeyUnchecked, Refused: s.State == stripeapi.KeyRefused,
		Since: s.Since, Problem: s.Problem}
	for _, d := range s.Denied {
		k.Denied = append(k.Denied, dashboard.StripeDenial{Request: d.Op, At: d.At, Problem: d.Problem})
	}
	return k
}
