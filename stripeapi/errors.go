package stripeapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// errorCode translates a failed Stripe call into a recoup error code, by the error's HTTP
// status and type, never by its message. Anything that is not a Stripe answer (transport
// failure, timeout, cancelled context, unreadable body) leaves the outcome unknown.
func errorCode(err error) string {
	var se *stripe.Error
	var re *recoup.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &re):
		return re.Code
	case !errors.As(err, &se):
		return recoup.EUNAVAILABLE
	}
	switch status := se.HTTPStatusCode; {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return recoup.EUNAUTHORIZED
	case status == http.StatusNotFound:
		return recoup.ENOTFOUND
	case status == http.StatusConflict, // another request with this idempotency key is in flight
		status == http.StatusTooManyRequests,
		status >= 500:
		return recoup.EUNAVAILABLE
	case se.Type == stripe.ErrorTypeIdempotency:
		return recoup.ECONFLICT // the key was used before with other parameters: a bug upstream
	}
	return recoup.EINVALID
}

// ErrorKinds are the kinds of failed requests Config.OnError reports: a bounded set, fit for a
// metric's label.
// "authentication" is Stripe refusing the key (401), "permission" a restricted key lacking
// the permission a request needs (403).
var ErrorKinds = []string{"connection", "rate_limit", "api", "authentication", "permission", "idempotency", "invalid_request"}

// errorKind classifies a failed request for Config.OnError by its HTTP status and type, never
// its message: "" for a decline (the card's answer, not a failure of the API), a cancelled
// call, or an error of recoup's own.
func errorKind(err error) string {
	var se *stripe.Error
	var re *recoup.Error
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.As(err, &re):
		return ""
	case !errors.As(err, &se):
		return "connection" // transport failure, timeout, unreadable answer
	case isDecline(se):
		return ""
	}
	switch s := se.HTTPStatusCode; {
	case s == http.StatusTooManyRequests:
		return "rate_limit"
	case s >= 500:
		return "api"
	case s == http.StatusUnauthorized:
		return "authentication"
	case s == http.StatusForbidden:
		return "permission"
	case s == http.StatusConflict || se.Type == stripe.ErrorTypeIdempotency:
		return "idempotency"
	}
	return "invalid_request"
}

// mapError wraps err, a failed Stripe call, as a *recoup.Error saying what was being done.
// The message carries Stripe's status, type, code, message and request id, which are safe to
// show an operator; the cause stays reachable with errors.As.
func mapError(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	var re *recoup.Error
	if errors.As(err, &re) {
		return &recoup.Error{Code: re.Code, Message: "stripe: " + what + ": " + re.Message, Err: err}
	}
	var se *stripe.Error
	if !errors.As(err, &se) {
		return &recoup.Error{Code: errorCode(err), Message: fmt.Sprintf("stripe: %s: %v", what, err), Err: err}
	}
	return &recoup.Error{Code: errorCode(err), Message: "stripe: " + what + ": " + describe(se), Err: err}
}

// describe is Stripe's answer in one line for an operator: status, type, code, message and
// request id. Any API key in the message (Stripe quotes the refused key, masked but for its
// last characters) is masked to its prefix.
func describe(se *stripe.Error) string {
	msg := fmt.Sprintf("HTTP %d %s", se.HTTPStatusCode, se.Type)
	if se.Code != "" {
		msg += " (" + string(se.Code) + ")"
	}
	if se.Msg != "" {
		msg += ": " + maskKeys(se.Msg)
	}
	if se.RequestID != "" {
		msg += " [request " + se.RequestID + "]"
	}
	return msg
}

// retryable reports whether a failed request may be sent again. Stripe's Stripe-Should-Retry
// header wins when present; otherwise 409 (idempotency key in use), 429 and 5xx are retried,
// as is any transport failure. A request with an idempotency key is safe to resend: Stripe
// replays the first result instead of acting twice.
func retryable(ctx context.Context, err error) bool {
	// The caller's context ending stops retries; a deadline inside the error with the
	// context still alive is the HTTP client's own per-request timeout, which is retried.
	if err == nil || ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return false
	}
	var re *recoup.Error
	if errors.As(err, &re) {
		return false
	}
	var se *stripe.Error
	if !errors.As(err, &se) {
		return true
	}
	if se.LastResponse != nil {
		switch se.LastResponse.Header.Get("Stripe-Should-Retry") {
		case "true":
			return true
		case "false":
			return false
		}
	}
	s := se.HTTPStatusCode
	return s == http.StatusConflict || s == http.StatusTooManyRequests || s >= 500
}

// isDecline reports whether a failed charge was decided against: a card_error (HTTP 402), or
// an invoice whose PaymentIntent needs the customer to authenticate.
func isDecline(se *stripe.Error) bool {
	return se.Type == stripe.ErrorTypeCard || se.Code == stripe.ErrorCodeInvoicePaymentIntentRequiresAction
}

// isInvalidRequest reports whether err is Stripe refusing the request as it stands (400 or
// 404 invalid_request_error): the case of acting on an object already in the target state.
func isInvalidRequest(err error) bool {
	var se *stripe.Error
	return errors.As(err, &se) && se.Type == stripe.ErrorTypeInvalidRequest &&
		(se.HTTPStatusCode == http.StatusBadRequest || se.HTTPStatusCode == http.StatusNotFound)
}

// declineFromError reads every reason Stripe gives on an error object: the error returned by
// a declined call, or a PaymentIntent's last_payment_error.
func declineFromError(se *stripe.Error) *recoup.Decline {
	d := &recoup.Decline{
		Code:               string(se.Code),
		DeclineCode:        string(se.DeclineCode),
		AdviceCode:         se.AdviceCode,
		NetworkAdviceCode:  se.NetworkAdviceCode,
		NetworkDeclineCode: se.NetworkDeclineCode,
		Message:            se.Msg,
	}
	if pm := se.PaymentMethod; pm != nil && pm.Card != nil {
		d.CardBrand = string(pm.Card.Brand)
	}
	return d
}

// mergeCharge completes d with what the charge's outcome adds (outcome type and reason,
// network status and codes, card brand) without overwriting what the error already said: advice on the error is the
// most specific.
func mergeCharge(d *recoup.Decline, ch *stripe.Charge) {
	if d == nil || ch == nil {
		return
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&d.Code, ch.FailureCode)
	fill(&d.Message, ch.FailureMessage)
	if o := ch.Outcome; o != nil {
		fill(&d.OutcomeType, o.Type)
		fill(&d.OutcomeReason, o.Reason)
		fill(&d.NetworkStatus, o.NetworkStatus)
		fill(&d.AdviceCode, string(o.AdviceCode))
		fill(&d.NetworkAdviceCode, o.NetworkAdviceCode)
		fill(&d.NetworkDeclineCode, o.NetworkDeclineCode)
	}
	if pmd := ch.PaymentMethodDetails; pmd != nil && pmd.Card != nil {
		fill(&d.CardBrand, string(pmd.Card.Brand))
	}
}

// mergeDecline fills the blanks of d from other, a later reading of the same decline.
func mergeDecline(d, other *recoup.Decline) {
	if d == nil || other == nil {
		return
	}
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&d.Code, other.Code}, {&d.DeclineCode, other.DeclineCode}, {&d.AdviceCode, other.AdviceCode},
		{&d.NetworkAdviceCode, other.NetworkAdviceCode}, {&d.NetworkDeclineCode, other.NetworkDeclineCode},
		{&d.OutcomeType, other.OutcomeType}, {&d.OutcomeReason, other.OutcomeReason}, {&d.NetworkStatus, other.NetworkStatus},
		{&d.Message, other.Message}, {&d.CardBrand, other.CardBrand},
	} {
		if *f.dst == "" {
			*f.dst = f.v
		}
	}
}
