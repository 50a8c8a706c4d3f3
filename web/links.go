package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/netip"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/updatelink"
)

// The customer link pages: /u/{token} sends the customer to Stripe to update their card (or
// authenticate the payment), /unsubscribe/{token} stops their emails. The signed token is the
// credential; no login. These pages are for customers, so every outcome, failures included, is
// a short HTML page in plain words: never a trace, never JSON.

// Portal opens the Stripe pages a customer is sent to. stripeapi.Client implements it.
type Portal interface {
	// PaymentUpdateURL creates a Billing Portal session on the payment-method update flow.
	PaymentUpdateURL(ctx context.Context, customerID, returnURL string) (string, error)
	// HostedInvoiceURL is the invoice's hosted page, where the customer can authenticate.
	HostedInvoiceURL(ctx context.Context, invoiceID string) (string, error)
}

// LinksConfig enables the customer link pages.
type LinksConfig struct {
	Signer *updatelink.Signer
	Portal Portal
	// ReturnURL is where the portal sends the customer back (the merchant's site); "" sends
	// them to recoup's own thank-you page at BaseURL + "/u/done".
	ReturnURL string
	// BaseURL is recoup's public base URL, for the default ReturnURL.
	BaseURL string
	// Company and Support (an email address) brand the pages.
	Company string
	Support string
	// Offers, optional, lets the card update page propose the policy's offers (offers.go).
	Offers *OffersConfig
	// SMS, optional, receives the STOP and START texted back to the sms channel (sms.go).
	SMS *SMSInbound
	// Limits bound what replaying a link costs (linkguard.go); zero fields take defaults.
	Limits LinkLimits
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client the
	// per-address limit counts (RECOUP_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
}

//go:embed pages/customer.html
var pagesFS embed.FS

var customerPage = template.Must(template.ParseFS(pagesFS, "pages/customer.html"))

// page is what the customer page shows.
type page struct {
	Title, Message   string
	Confirm          string // the label of the unsubscribe button; "" for no form
	Company, Support string
}

// linkRoutes registers the customer link pages on mux.
func (s *Server) linkRoutes(mux *http.ServeMux) {
	if s.links == nil {
		return
	}
	mux.Handle("GET /u/done", s.customer(s.updateDone))
	mux.Handle("GET /u/{token}", s.customer(s.openUpdateLink))
	mux.Handle("GET /unsubscribe/{token}", s.customer(s.confirmUnsubscribe))
	mux.Handle("POST /unsubscribe/{token}", s.customer(s.unsubscribe))
	s.noticeRoutes(mux)
	s.offerRoutes(mux)
	s.smsRoutes(mux)
}

// customer adapts a customer page handler: the error it returns becomes a plain page.
func (s *Server) customer(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The URL holds the token: no cache keeps it, no Referer carries it on (the
		// middleware already sends no-referrer).
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", customerCSP)
		if err := h(w, r); err != nil {
			s.customerError(w, r, err)
		}
	})
}

func (s *Server) customerError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errLinkTooMany):
		s.showPage(w, http.StatusTooManyRequests, page{Title: "Please wait a moment",
			Message: "This link was opened many times in a short while. Please try again in a minute."})
	case errors.Is(err, errLinkBudget):
		s.showPage(w, http.StatusServiceUnavailable, page{Title: "Please try again in a few minutes",
			Message: "We could not open the payment page just now. Nothing has been charged. Please try the link again shortly."})
	case errors.Is(err, updatelink.ErrExpired):
		s.showPage(w, http.StatusGone, page{Title: "This link has expired",
			Message: "For your security, links in our emails stop working after a while. Please use the link in our most recent email, or contact us."})
	case recoup.ErrorCode(err) == recoup.EUNAUTHORIZED || recoup.IsNotFound(err):
		s.showPage(w, http.StatusBadRequest, page{Title: "This link is not valid",
			Message: "The link may have been copied incompletely. Please open it again from our email, or contact us."})
	default:
		s.logger.ErrorContext(r.Context(), "customer link failed", "pattern", r.Pattern, "error", err.Error())
		s.showPage(w, http.StatusServiceUnavailable, page{Title: "Please try again in a few minutes",
			Message: "We could not open the payment page just now. Nothing has been charged. Please try the link again shortly."})
	}
}

func (s *Server) showPage(w http.ResponseWriter, status int, p page) {
	p.Company, p.Support = s.links.Company, s.links.Support
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = customerPage.Execute(w, p) // a customer who went away is not our error
}

// linkCase verifies the token for purpose p and returns its case.
func (s *Server) linkCase(r *http.Request, p updatelink.Purpose) (recoup.Case, error) {
	claims, err := s.links.Signer.Verify(r.PathValue("token"), p, s.now())
	if err != nil {
		return recoup.Case{}, err
	}
	return s.store.Case(r.Context(), claims.CaseID)
}

// showSettled answers a link whose case is paid or closed, its job done, and reports whether
// it did; closed ends the sentence for a closed case ("This invoice no longer needs a payment,
// so ...").
func (s *Server) showSettled(w http.ResponseWriter, c recoup.Case, closed string) bool {
	switch c.State {
	case recoup.StateRecovered:
		s.showPage(w, http.StatusOK, page{Title: "This invoice is paid",
			Message: "Thank you: the payment went through, and there is nothing more to do."})
		return true
	case recoup.StateClosed:
		s.showPage(w, http.StatusOK, page{Title: "Nothing to pay",
			Message: "This invoice no longer needs a payment, so " + closed + "."})
		return true
	}
	return false
}

// openUpdateLink records the click and redirects to Stripe: the invoice's hosted page when the
// bank wants the customer to authenticate, the Billing Portal's card update otherwise. A link
// whose case is paid or closed is a replay: its job is done, and it says so. A HEAD does
// nothing, and replays are bounded (guardLink, linkPortal; a click is recorded once an
// interval).
func (s *Server) openUpdateLink(w http.ResponseWriter, r *http.Request) error {
	if ok, err := s.guardLink(w, r, updatelink.Update); !ok {
		return err
	}
	c, err := s.linkCase(r, updatelink.Update)
	if err != nil {
		return err
	}
	if s.showSettled(w, c, "this link has nothing more to do") {
		return nil
	}
	auth := c.Category == recoup.CategoryAuthentication || (c.LastDecline != nil && c.LastDecline.Code == "authentication_required")
	if !auth {
		if shown, err := s.showOffers(w, r, c); shown || err != nil {
			return err // the offers page, with the card update as one choice
		}
	}
	var to, where string
	if auth {
		where = "the invoice page to authenticate the payment"
		to, err = s.linkPortal(fmt.Sprint("case ", c.ID), where, func() (string, error) {
			return s.links.Portal.HostedInvoiceURL(r.Context(), c.InvoiceID)
		})
	} else {
		where = "Stripe's card update page"
		to, err = s.linkPortal(fmt.Sprint("case ", c.ID), where, func() (string, error) {
			return s.links.Portal.PaymentUpdateURL(r.Context(), c.CustomerID, s.returnURL())
		})
	}
	if err != nil {
		return err
	}
	now := s.now()
	if !s.linkGuard.click(now, r.PathValue("token")) {
		http.Redirect(w, r, to, http.StatusSeeOther) // recorded already, a moment ago
		return nil
	}
	if err := s.store.Tx(r.Context(), func(tx recoup.Tx) error {
		if err := appendEntry(tx, c.ID, now, recoup.EntryEvent, "the customer opened the card update link: sent to "+where,
			map[string]any{"link": "update", "authentication": auth}); err != nil {
			return err
		}
		// Counted on the message too, for the campaign page's click and update rates.
		if cr, ok := tx.(recoup.ClickRecorder); ok {
			return cr.RecordClick(c.ID, now)
		}
		return nil
	}); err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (s *Server) returnURL() string {
	if s.links.ReturnURL != "" {
		return s.links.ReturnURL
	}
	return s.links.BaseURL + "/u/done"
}

func (s *Server) updateDone(w http.ResponseWriter, r *http.Request) error {
	s.showPage(w, http.StatusOK, page{Title: "Thank you",
		Message: "Your payment details are saved. We will retry the payment shortly; there is nothing more to do."})
	return nil
}

// confirmUnsubscribe shows the confirmation: a GET never unsubscribes, since mail scanners
// open links. The POST (the button, or a mail client's RFC 8058 one-click) does.
func (s *Server) confirmUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.linkCase(r, updatelink.Unsubscribe); err != nil {
		return err
	}
	s.showPage(w, http.StatusOK, page{Title: "Stop these emails?",
		Message: "You will no longer receive emails from us about payments. Your subscription itself is not changed.",
		Confirm: "Unsubscribe"})
	return nil
}

// unsubscribe records the customer's suppression on email. It works whatever the case's state:
// stopping mail is the person's choice, not the invoice's. Repeating it changes nothing.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	c, err := s.linkCase(r, updatelink.Unsubscribe)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.store.Tx(r.Context(), func(tx recoup.Tx) error {
		if _, err := tx.Suppression(c.CustomerID, "email"); err == nil {
			return nil // already suppressed: nothing new to record
		} else if !recoup.IsNotFound(err) {
			return err
		}
		sup := recoup.Suppression{CustomerID: c.CustomerID, Channel: "email", Reason: recoup.SuppressUnsubscribe,
			Detail: "unsubscribe link", CaseID: c.ID, CreatedAt: now}
		if err := tx.InsertSuppression(&sup); err != nil {
			return err
		}
		return appendEntry(tx, c.ID, now, recoup.EntryMessage, "the customer unsubscribed from email: later email steps are skipped",
			map[string]any{"channel": "email", "reason": sup.Reason})
	})
	if err != nil {
		return err
	}
	s.showPage(w, http.StatusOK, page{Title: "You are unsubscribed",
		Message: "You will receive no more emails from us about payments."})
	return nil
}

func appendEntry(tx recoup.Tx, caseID int64, now time.Time, kind recoup.EntryKind, summary string, detail any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	return tx.AppendTimeline(&recoup.TimelineEntry{CaseID: caseID, At: now, Kind: kind, Summary: summary, Detail: b})
}
