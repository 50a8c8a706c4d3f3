package stripeapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

func apiErr(status int, typ stripe.ErrorType, code stripe.ErrorCode) *stripe.Error {
	return &stripe.Error{HTTPStatusCode: status, Type: typ, Code: code, Msg: "message from Stripe", RequestID: "req_1"}
}

func withShouldRetry(se *stripe.Error, v string) *stripe.Error {
	se.LastResponse = &stripe.APIResponse{Header: http.Header{"Stripe-Should-Retry": {v}}}
	return se
}

func TestErrorMapping(t *testing.T) {
	netErr := &url.Error{Op: "Post", URL: "https://api.stripe.com/v1/invoices/in_1/pay", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	tests := []struct {
		name      string
		err       error
		code      string
		retryable bool
	}{
		{"card declined", apiErr(402, stripe.ErrorTypeCard, stripe.ErrorCodeCardDeclined), recoup.EINVALID, false},
		{"not found", apiErr(404, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing), recoup.ENOTFOUND, false},
		{"bad parameter", apiErr(400, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeParameterUnknown), recoup.EINVALID, false},
		{"already paid", apiErr(400, stripe.ErrorTypeInvalidRequest, ""), recoup.EINVALID, false},
		{"key reused with other params", apiErr(400, stripe.ErrorTypeIdempotency, ""), recoup.ECONFLICT, false},
		{"key in use", apiErr(409, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeIdempotencyKeyInUse), recoup.EUNAVAILABLE, true},
		{"bad API key", apiErr(401, stripe.ErrorTypeInvalidRequest, ""), recoup.EUNAUTHORIZED, false},
		{"permission", apiErr(403, stripe.ErrorTypeInvalidRequest, ""), recoup.EUNAUTHORIZED, false},
		{"rate limited", apiErr(429, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeRateLimit), recoup.EUNAVAILABLE, true},
		{"lock timeout", apiErr(429, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeLockTimeout), recoup.EUNAVAILABLE, true},
		{"server error", apiErr(500, stripe.ErrorTypeAPI, ""), recoup.EUNAVAILABLE, true},
		{"bad gateway", apiErr(502, stripe.ErrorTypeAPI, ""), recoup.EUNAVAILABLE, true},
		{"500 Stripe says not to retry", withShouldRetry(apiErr(500, stripe.ErrorTypeAPI, ""), "false"), recoup.EUNAVAILABLE, false},
		{"400 Stripe says to retry", withShouldRetry(apiErr(400, stripe.ErrorTypeInvalidRequest, ""), "true"), recoup.EINVALID, true},
		{"network", netErr, recoup.EUNAVAILABLE, true},
		{"undecodable body", errors.New("couldn't deserialize JSON"), recoup.EUNAVAILABLE, true},
		{"per-request timeout", fmt.Errorf("post: %w", context.DeadlineExceeded), recoup.EUNAVAILABLE, true},
		{"cancelled", context.Canceled, recoup.EUNAVAILABLE, false},
		{"domain error passes through", recoup.Errorf(recoup.EINVALID, "bad key"), recoup.EINVALID, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mapError(tt.err, "pay invoice %s", "in_1")
			if got := recoup.ErrorCode(err); got != tt.code {
				t.Errorf("code = %q, want %q (%v)", got, tt.code, err)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("mapped error does not wrap the cause")
			}
			if got := retryable(context.Background(), tt.err); got != tt.retryable {
				t.Errorf("retryable = %v, want %v", got, tt.retryable)
			}
		})
	}

	var se *stripe.Error
	err := mapError(apiErr(404, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing), "get invoice %s", "in_9")
	if !errors.As(err, &se) || err.Error() != "stripe: get invoice in_9: HTTP 404 invalid_request_error (resource_missing): message from Stripe [request req_1]" {
		t.Errorf("message = %q", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if retryable(ctx, apiErr(500, stripe.ErrorTypeAPI, "")) {
		t.Error("retryable with a cancelled context")
	}
}

func TestDeclineExtraction(t *testing.T) {
	se := &stripe.Error{
		HTTPStatusCode: 402, Type: stripe.ErrorTypeCard, Code: stripe.ErrorCodeCardDeclined,
		DeclineCode: "insufficient_funds", AdviceCode: "try_again_later", NetworkAdviceCode: "24",
		NetworkDeclineCode: "51", Msg: "Your card has insufficient funds.",
		PaymentMethod: &stripe.PaymentMethod{ID: "pm_1", Card: &stripe.PaymentMethodCard{Brand: "mastercard"}},
	}
	if !isDecline(se) {
		t.Fatal("card_error is not a decline")
	}
	d := declineFromError(se)
	want := recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds", AdviceCode: "try_again_later",
		NetworkAdviceCode: "24", NetworkDeclineCode: "51", Message: "Your card has insufficient funds.", CardBrand: "mastercard"}
	if *d != want {
		t.Errorf("decline = %+v, want %+v", *d, want)
	}

	// The charge completes the error without overriding it.
	ch := &stripe.Charge{
		Status: stripe.ChargeStatusFailed, FailureCode: "card_declined", FailureMessage: "other text",
		Outcome:              &stripe.ChargeOutcome{Type: "issuer_declined", AdviceCode: "do_not_try_again", NetworkDeclineCode: "05"},
		PaymentMethodDetails: &stripe.ChargePaymentMethodDetails{Card: &stripe.ChargePaymentMethodDetailsCard{Brand: "visa"}},
	}
	mergeCharge(d, ch)
	want.OutcomeType = "issuer_declined"
	if *d != want {
		t.Errorf("merged = %+v, want %+v", *d, want)
	}
	bare := &recoup.Decline{}
	mergeCharge(bare, ch)
	if bare.Code != "card_declined" || bare.AdviceCode != "do_not_try_again" || bare.CardBrand != "visa" || bare.Message != "other text" {
		t.Errorf("from charge alone = %+v", bare)
	}

	// A retry Stripe blocked: the error says only generic_decline; the charge's outcome says
	// Stripe never sent it to the network, and why.
	blocked := declineFromError(&stripe.Error{HTTPStatusCode: 402, Type: stripe.ErrorTypeCard, Code: stripe.ErrorCodeCardDeclined, DeclineCode: "generic_decline"})
	mergeCharge(blocked, &stripe.Charge{Status: stripe.ChargeStatusFailed, Outcome: &stripe.ChargeOutcome{
		Type: "blocked", NetworkStatus: "not_sent_to_network", Reason: "previously_declined_do_not_retry"}})
	if blocked.OutcomeReason != "previously_declined_do_not_retry" || blocked.NetworkStatus != "not_sent_to_network" || !blocked.RetryBlocked() {
		t.Errorf("blocked retry = %+v", blocked)
	}
	later := &recoup.Decline{DeclineCode: "generic_decline"}
	mergeDecline(later, blocked)
	if !later.RetryBlocked() || later.NetworkStatus != "not_sent_to_network" {
		t.Errorf("merged blocked retry = %+v", later)
	}

	for _, se := range []*stripe.Error{apiErr(400, stripe.ErrorTypeInvalidRequest, ""), apiErr(500, stripe.ErrorTypeAPI, "")} {
		if isDecline(se) {
			t.Errorf("%s %d counted as a decline", se.Type, se.HTTPStatusCode)
		}
	}
	if !isDecline(apiErr(402, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeInvoicePaymentIntentRequiresAction)) {
		t.Error("authentication needed is not a decline")
	}
}
