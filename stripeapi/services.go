package stripeapi

// Code below is adapted from stripe-go v86.4.0's generated services (MIT licence): the
// methods recoup calls, and no others. stripe.Client holds every service of the API, and
// because text/template's reflection keeps every exported method of a type the binary can
// reach, its ~200 services all stayed in recoup's binary (docs/benchmarks.md, "Binary size").
// Each method here sends the same request as stripe-go's.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/stripe/stripe-go/v86"
	"github.com/stripe/stripe-go/v86/form"
)

// stripeServices are the Stripe services recoup calls, named as on stripe.Client so that
// call sites read the same.
type stripeServices struct {
	V1BillingPortalSessions v1BillingPortalSessionService
	V1Charges               v1ChargeService
	V1Customers             v1CustomerService
	V1Events                v1EventService
	V1InvoiceItems          v1InvoiceItemService
	V1InvoicePayments       v1InvoicePaymentService
	V1Invoices              v1InvoiceService
	V1PaymentIntents        v1PaymentIntentService
	V1PaymentMethods        v1PaymentMethodService
	V1Subscriptions         v1SubscriptionService
}

func newStripeServices(b stripe.Backend, key string) *stripeServices {
	return &stripeServices{
		V1BillingPortalSessions: v1BillingPortalSessionService{B: b, Key: key},
		V1Charges:               v1ChargeService{B: b, Key: key},
		V1Customers:             v1CustomerService{B: b, Key: key},
		V1Events:                v1EventService{B: b, Key: key},
		V1InvoiceItems:          v1InvoiceItemService{B: b, Key: key},
		V1InvoicePayments:       v1InvoicePaymentService{B: b, Key: key},
		V1Invoices:              v1InvoiceService{B: b, Key: key},
		V1PaymentIntents:        v1PaymentIntentService{B: b, Key: key},
		V1PaymentMethods:        v1PaymentMethodService{B: b, Key: key},
		V1Subscriptions:         v1SubscriptionService{B: b, Key: key},
	}
}

type v1BillingPortalSessionService struct {
	B   stripe.Backend
	Key string
}

func (c v1BillingPortalSessionService) Create(ctx context.Context, params *stripe.BillingPortalSessionCreateParams) (*stripe.BillingPortalSession, error) {
	if params == nil {
		params = &stripe.BillingPortalSessionCreateParams{}
	}
	params.Context = ctx
	session := &stripe.BillingPortalSession{}
	err := c.B.Call(
		http.MethodPost, "/v1/billing_portal/sessions", c.Key, params, session)
	return session, err
}

type v1ChargeService struct {
	B   stripe.Backend
	Key string
}

func (c v1ChargeService) List(ctx context.Context, listParams *stripe.ChargeListParams) *listPage[*stripe.Charge] {
	if listParams == nil {
		listParams = &stripe.ChargeListParams{}
	}
	listParams.Context = ctx
	return listV1[*stripe.Charge](ctx, c.B, c.Key, "/v1/charges", listParams)
}

func (c v1ChargeService) Retrieve(ctx context.Context, id string, params *stripe.ChargeRetrieveParams) (*stripe.Charge, error) {
	if params == nil {
		params = &stripe.ChargeRetrieveParams{}
	}
	params.Context = ctx
	path := stripe.FormatURLPath("/v1/charges/%s", id)
	charge := &stripe.Charge{}
	err := c.B.Call(http.MethodGet, path, c.Key, params, charge)
	return charge, err
}

type v1CustomerService struct {
	B   stripe.Backend
	Key string
}

func (c v1CustomerService) Retrieve(ctx context.Context, id string, params *stripe.CustomerRetrieveParams) (*stripe.Customer, error) {
	if params == nil {
		params = &stripe.CustomerRetrieveParams{}
	}
	params.Context = ctx
	path := stripe.FormatURLPath("/v1/customers/%s", id)
	customer := &stripe.Customer{}
	err := c.B.Call(http.MethodGet, path, c.Key, params, customer)
	return customer, err
}

type v1EventService struct {
	B   stripe.Backend
	Key string
}

func (c v1EventService) List(ctx context.Context, listParams *stripe.EventListParams) *listPage[*stripe.Event] {
	if listParams == nil {
		listParams = &stripe.EventListParams{}
	}
	listParams.Context = ctx
	return listV1[*stripe.Event](ctx, c.B, c.Key, "/v1/events", listParams)
}

type v1InvoiceItemService struct {
	B   stripe.Backend
	Key string
}

func (c v1InvoiceItemService) Create(ctx context.Context, params *stripe.InvoiceItemCreateParams) (*stripe.InvoiceItem, error) {
	if params == nil {
		params = &stripe.InvoiceItemCreateParams{}
	}
	params.Context = ctx
	invoiceitem := &stripe.InvoiceItem{}
	err := c.B.Call(
		http.MethodPost, "/v1/invoiceitems", c.Key, params, invoiceitem)
	return invoiceitem, err
}

type v1InvoicePaymentService struct {
	B   stripe.Backend
	Key string
}

func (c v1InvoicePaymentService) List(ctx context.Context, listParams *stripe.InvoicePaymentListParams) *listPage[*stripe.InvoicePayment] {
	if listParams == nil {
		listParams = &stripe.InvoicePaymentListParams{}
	}
	listParams.Context = ctx
	return listV1[*stripe.InvoicePayment](ctx, c.B, c.Key, "/v1/invoice_payments", listParams)
}

type v1InvoiceService struct {
	B   stripe.Backend
	Key string
}

func (c v1InvoiceService) Create(ctx context.Context, params *stripe.InvoiceCreateParams) (*stripe.Invoice, error) {
	if params == nil {
		params = &stripe.InvoiceCreateParams{}
	}
	params.Context = ctx
	invoice := &stripe.Invoice{}
	err := c.B.Call(http.MethodPost, "/v1/invoices", c.Key, params, invoice)
	return invoice, err
}

func (c v1InvoiceService) Delete(ctx context.Context, id string, params *stripe.InvoiceDeleteParams) (*stripe.Invoice, error) {
	if params == nil {
		params = &stripe.InvoiceDeleteParams{}
	}
	params.Context = ctx
	path := stripe.FormatURLPath("/v1/invoices/%s", id)
	invoice := &stripe.Invoice{}
	err := c.B.Call(http.MethodDelete, path, c.Key, params, invoice)
	return invoice, err
}

func (c v1InvoiceService) List(ctx context.Context, listParams *stripe.InvoiceListParams) *listPage[*stripe.Invoice] {
	if listParams == nil {
		listParams = &stripe.InvoiceListParams{}
	}
	listParams.Context = ctx
	return listV1[*stripe.Invoice](ctx, c.B, c.Key, "/v1/invoices", listParams)
}

func (c v1InvoiceService) MarkUncollectible(ctx context.Context, id string, params *stripe.InvoiceMarkUncollectibleParams) (*stripe.Invoice, error) {
	if params == nil {
		params = &stripe.InvoiceMarkUncollectibleParams{}
	}
	params.Context = ctx
	path := stripe.FormatURLPath("/v1/invoices/%s/mark_uncollectible", id)
	invoice := &stripe.Invoice{}
	err := c.B.Call(http.MethodPost, path, c.Key, params, invoice)
	return invoice, err
}

func (c v1InvoiceService) Pay(ctx context.Context, id string, params *stripe.InvoicePayParams) (*stripe.Invoice, error) {
	if params == nil {
		params = &stripe.InvoicePayParams{}
	}
	params.Context = ctx
	path := stripe.FormatURLPath("/v1/invoices/%s/pay", id)
	invoice := &stripe.Invoice{}
	err := c.B.Call(http.MethodPost, path, c.Key, params, invoice)
	return invoice, err
}

func (c v1InvoiceService) Retrieve(ctx context.Context, id string, params *stripe.InvoiceRetrieveParams) (*stripe.Invoice, error) {
	if params == nil {
		params = &stripe.InvoiceRetrieveParams{}
	}
	params.Context = ctx
	path := stripe.FormatURLPath("/v1/invoices/%s", id)
	invoice := &stripe.Invoice{}
	err := c.B.Call(http.MethodGet, path, c.Key, params, invoice)
	return invoice, err
}

func (c v1InvoiceService) Update(ctx context.Context, id string, params *stripe.InvoiceUpdateParams) (*stripe.Invoice, error) {
	if params == nil {
		params = &stripe.InvoiceUpdateParams{}
	}
	params.Context = ctx
	path := stripe.FormatURLPath("/v1/invoices/%s", id)
	invoice := &stripe.Invoice{}
	err := c.B.Call(http.MethodPost, path, c.Key, params, invoice)
	return invoice, err
}

func (c v1InvoiceService) VoidInvoice(ctx context.Context, id string, params *stripe.InvoiceVoidInvoiceParams) (*stripe.Invoice, error) {
	if params == nil {
		params = &stripe.InvoiceVoidInvoiceParams{}
	}
	params.Context = ctx
	path := stripe.FormatURLPath("/v1/invoices/%s/void", id)
	invoice := &stripe.Invoice{}
	err := c.B.Call(http.MethodPost, path, c.Key, params, invoice)
	return invoice, err
}

type v1PaymentIntentService struct {
	B   stripe.Backend
	Key string
}

func (c v1PaymentIntentService) Retrieve(ctx context.Context, id string, params *stripe.PaymentIntentRetrieveParams) (*stripe.PaymentIntent, error) {
	if params == nil {
		params = &stripe.PaymentIntentRetrieveParams{}
	}
	params.Context = ctx
	path := stripe.FormatURLPath("/v1/payment_intents/%s", id)
	paymentintent := &stripe.PaymentIntent{}
	err := c.B.Call(http.MethodGet, path, c.Key, params, paymentintent)
	return paymentintent, err
}

type v1SubscriptionService struct {
	B   stripe.Backend
	Key string
}

func (c v1SubscriptionService) Cancel(ctx context.Context, id string, params *stripe.SubscriptionCancelParams) (*stripe.Subscription, error) {
	if params == nil {
		params = &stripe.SubscriptionCancelParams{}
	}
	params.Context = ctx
	path := stripe.FormatURLPath("/v1/subscriptions/%s", id)
	subscription := &stripe.Subscription{}
	err := c.B.Call(http.MethodDelete, path, c.Key, params, subscription)
	return subscription, err
}

func (c v1SubscriptionService) List(ctx context.Context, listParams *stripe.SubscriptionListParams) *listPage[*stripe.Subscription] {
	if listParams == nil {
		listParams = &stripe.SubscriptionListParams{}
	}
	listParams.Context = ctx
	return listV1[*stripe.Subscription](ctx, c.B, c.Key, "/v1/subscriptions", listParams)
}

func (c v1SubscriptionService) Retrieve(ctx context.Context, id string, params *stripe.SubscriptionRetrieveParams) (*stripe.Subscription, error) {
	if params == nil {
		params = &stripe.SubscriptionRetrieveParams{}
	}
	params.Context = ctx
	path := stripe.FormatURLPath("/v1/subscriptions/%s", id)
	subscription := &stripe.Subscription{}
	err := c.B.Call(http.MethodGet, path, c.Key, params, subscription)
	return subscription, err
}

func (c v1SubscriptionService) Update(ctx context.Context, id string, params *stripe.SubscriptionUpdateParams) (*stripe.Subscription, error) {
	if params == nil {
		params = &stripe.SubscriptionUpdateParams{}
	}
	params.Context = ctx
	path := stripe.FormatURLPath("/v1/subscriptions/%s", id)
	subscription := &stripe.Subscription{}
	err := c.B.Call(http.MethodPost, path, c.Key, params, subscription)
	return subscription, err
}

// listPage is one page of a list request: recoup pages itself (pages.go), one request at a
// time, as stripe-go's V1List does with ListParams.Single.
type listPage[T any] struct {
	data []T
	meta stripe.ListMeta
	err  error
}

func (l *listPage[T]) Err() error            { return l.err }
func (l *listPage[T]) Data() []T             { return l.data }
func (l *listPage[T]) Meta() stripe.ListMeta { return l.meta }

// listV1 requests one page of path with container's parameters, as stripe-go's newV1List
// does for its first page, and gives each item that keeps one its own LastResponse (the
// item's JSON), as stripe-go does.
func listV1[T any](ctx context.Context, b stripe.Backend, key, path string, container stripe.ListParamsContainer) *listPage[T] {
	values := &form.Values{}
	form.AppendTo(values, container)
	params := container.GetListParams().GetParams()
	params.Context = ctx
	var page struct {
		stripe.APIResource
		stripe.ListMeta
		Data []T `json:"data"`
	}
	if err := b.CallRaw(http.MethodGet, path, key, []byte(values.Encode()), params, &page); err != nil {
		return &listPage[T]{err: err}
	}
	if resp := page.LastResponse; resp != nil {
		var raw struct {
			Data []json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(resp.RawJSON, &raw); err != nil {
			return &listPage[T]{err: err}
		}
		if len(raw.Data) != len(page.Data) {
			return &listPage[T]{err: fmt.Errorf("stripe: list %s: %d items decoded from %d (request %s)", path, len(page.Data), len(raw.Data), resp.RequestID)}
		}
		for i, item := range page.Data {
			if setter, ok := any(item).(stripe.LastResponseSetter); ok {
				setter.SetLastResponse(&stripe.APIResponse{
					Header: resp.Header, IdempotencyKey: resp.IdempotencyKey, RawJSON: []byte(raw.Data[i]),
					RequestID: resp.RequestID, Status: resp.Status, StatusCode: resp.StatusCode,
				})
			}
		}
	}
	return &listPage[T]{data: page.Data, meta: page.ListMeta}
}

type v1PaymentMethodService struct {
	B   stripe.Backend
	Key string
}

func (c v1PaymentMethodService) List(ctx context.Context, listParams *stripe.PaymentMethodListParams) *listPage[*stripe.PaymentMethod] {
	if listParams == nil {
		listParams = &stripe.PaymentMethodListParams{}
	}
	listParams.Context = ctx
	return listV1[*stripe.PaymentMethod](ctx, c.B, c.Key, "/v1/payment_methods", listParams)
}
