package web

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/updatelink"
)

// The offers of the card update page. When the case's segment of the policy lists offers
// (policy offers:), GET /u/{token} shows them beside the card update instead of redirecting at
// once, and each is a POST form to /u/{token}/offer: pay now (the invoice's hosted page), a
// payment plan (the engine's, the operator's path), a cheaper plan (the Billing Portal's
// subscription update) or a pause. A GET or HEAD changes nothing but the click count of the
// link (as without offers); every choice is a POST carrying a form token bound to the link
// token and the page's time (updatelink.FormToken), and a cross-site POST is refused by the
// browser's own headers (http.CrossOriginProtection). Each accepted choice is recorded once
// per case and offer (counted on the campaigns page), on the case's timeline and in the audit
// log.

// OfferEngine is the engine's side of the offers; engine.Engine implements it.
type OfferEngine interface {
	// Offers is what the page may propose for the case now, in the policy's order.
	Offers(c recoup.Case, now time.Time) []recoup.Offer
	StartPaymentPlan(ctx context.Context, now time.Time, caseID int64, who string) ([]string, error)
	CustomerPause(ctx context.Context, now time.Time, caseID int64) error
}

// PlanPortal opens the Billing Portal on the subscription update flow; stripeapi.Client
// implements it.
type PlanPortal interface {
	SubscriptionUpdateURL(ctx context.Context, customerID, subscriptionID, returnURL string) (string, error)
}

// OffersConfig enables the offers on the card update page.
type OffersConfig struct {
	Engine OfferEngine
	Portal PlanPortal
}

// offerUpdateCard is the page's own choice of a new card: not an offer of the policy's.
const offerUpdateCard = "update_card"

// customerActor names the customer where the engine records who agreed to a plan.
const customerActor = "the customer (card update page)"

//go:embed pages/offers.html
var offersFS embed.FS

var offersPage = template.Must(template.ParseFS(offersFS, "pages/offers.html"))

type offerChoice struct {
	Offer, Label, Detail, Token string
	Primary                     bool
}

func (s *Server) offerRoutes(mux *http.ServeMux) {
	if s.links.Offers == nil {
		return
	}
	mux.Handle("POST /u/{token}/offer", s.customer(s.chooseOffer))
}

// showOffers renders the offers page for the case when its policy has offers for it now, and
// reports whether it did. A GET counts as the link's click, as the redirect does; a HEAD only
// renders.
func (s *Server) showOffers(w http.ResponseWriter, r *http.Request, c recoup.Case) (bool, error) {
	o := s.links.Offers
	if o == nil {
		return false, nil
	}
	now := s.now()
	offers := o.Engine.Offers(c, now)
	if len(offers) == 0 {
		return false, nil
	}
	token := r.PathValue("token")
	choices := []offerChoice{{Offer: offerUpdateCard, Label: "Update my card", Primary: true,
		Detail: "Enter a new card on Stripe's secure page; we retry the payment with it."}}
	for _, of := range offers {
		ch := offerChoice{Offer: string(of)}
		switch of {
		case recoup.OfferPayNow:
			ch.Label, ch.Detail = "Pay the invoice now", "Pay "+c.Amount.String()+" on the invoice's secure page, with your card on file or another."
		case recoup.OfferPaymentPlan:
			ch.Label, ch.Detail = "Split it into smaller payments", "Replace this invoice by a few smaller ones, charged one after the other with your card on file."
		case recoup.OfferCheaperPlan:
			ch.Label, ch.Detail = "Switch to a cheaper plan", "Choose another plan for your subscription on Stripe's secure page."
		case recoup.OfferPause:
			ch.Label, ch.Detail = "Pause my subscription", "Stop charges for now; the unpaid invoice stays open and we stop reminding you."
		}
		choices = append(choices, ch)
	}
	for i := range choices {
		choices[i].Token = s.links.Signer.FormToken(token, choices[i].Offer, now)
	}
	if r.Method == http.MethodGet {
		if err := s.store.Tx(r.Context(), func(tx recoup.Tx) error {
			if err := appendEntry(tx, c.ID, now, recoup.EntryEvent, "the customer opened the card update link: shown the offers",
				map[string]any{"link": "update", "offers": offers}); err != nil {
				return err
			}
			if cr, ok := tx.(recoup.ClickRecorder); ok {
				return cr.RecordClick(c.ID, now)
			}
			return nil
		}); err != nil {
			return false, err
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = offersPage.Execute(w, map[string]any{"Amount": c.Amount.String(), "Choices": choices,
		"Action": "/u/" + token + "/offer", "Company": s.links.Company, "Support": s.links.Support})
	return true, nil
}

// crossOrigin refuses a POST that the browser says comes from another site.
var crossOrigin = http.NewCrossOriginProtection()

// chooseOffer acts on the customer's choice. Nothing is done unless the link, the form token
// and the offer (still allowed for the case now) all check out.
func (s *Server) chooseOffer(w http.ResponseWriter, r *http.Request) error {
	if err := crossOrigin.Check(r); err != nil {
		s.showPage(w, http.StatusForbidden, page{Title: "This request was refused",
			Message: "Please open the link from our email again and choose from that page."})
		return nil
	}
	// The same bounds as opening the link: a form token stays valid for hours, so replayed
	// choices must not cost more Stripe calls or timeline rows than replayed opens.
	if ok, err := s.guardLink(w, r, updatelink.Update); !ok {
		return err
	}
	c, err := s.linkCase(r, updatelink.Update)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	choice, token := r.PostFormValue("offer"), r.PostFormValue("form_token")
	now := s.now()
	if !s.links.Signer.CheckFormToken(r.PathValue("token"), choice, token, now) {
		s.showPage(w, http.StatusForbidden, page{Title: "This page has expired",
			Message: "For your security, please open the link from our email again and make your choice there. Nothing has been changed."})
		return nil
	}
	if s.showSettled(w, c, "there is nothing more to choose") {
		return nil
	}
	if choice == offerUpdateCard {
		to, err := s.linkPortal(fmt.Sprint("case ", c.ID), "Stripe's card update page", func() (string, error) {
			return s.links.Portal.PaymentUpdateURL(r.Context(), c.CustomerID, s.returnURL())
		})
		if err != nil {
			return err
		}
		if !s.linkGuard.click(now, r.PathValue("token")) {
			http.Redirect(w, r, to, http.StatusSeeOther) // recorded already, a moment ago
			return nil
		}
		if err := s.store.Tx(r.Context(), func(tx recoup.Tx) error {
			return appendEntry(tx, c.ID, now, recoup.EntryEvent, "the customer chose to update the card: sent to Stripe's card update page",
				map[string]any{"link": "update", "choice": choice})
		}); err != nil {
			return err
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	o := recoup.Offer(choice)
	allowed := false
	for _, a := range s.links.Offers.Engine.Offers(c, now) {
		allowed = allowed || a == o
	}
	if !allowed {
		s.showPage(w, http.StatusConflict, page{Title: "This choice is no longer available",
			Message: "Please open the link from our email again to see what you can choose now. Nothing has been changed."})
		return nil
	}
	var to, detail string
	var result page
	switch o {
	case recoup.OfferPayNow:
		detail = "sent to the invoice's payment page"
		to, err = s.linkPortal(fmt.Sprint("case ", c.ID), detail, func() (string, error) {
			return s.links.Portal.HostedInvoiceURL(r.Context(), c.InvoiceID)
		})
	case recoup.OfferCheaperPlan:
		detail = "sent to Stripe's plan change page"
		to, err = s.linkPortal(fmt.Sprint("case ", c.ID), detail, func() (string, error) {
			return s.links.Offers.Portal.SubscriptionUpdateURL(r.Context(), c.CustomerID, c.SubscriptionID, s.returnURL())
		})
	case recoup.OfferPaymentPlan:
		var ids []string
		ids, err = s.links.Offers.Engine.StartPaymentPlan(r.Context(), now, c.ID, customerActor)
		detail = fmt.Sprintf("the invoice is replaced by %d invoices", len(ids))
		result = page{Title: "Your payment plan is set up",
			Message: fmt.Sprintf("This invoice is replaced by %d smaller payments, charged one after the other with your card on file. There is nothing more to do.", len(ids))}
	case recoup.OfferPause:
		err = s.links.Offers.Engine.CustomerPause(r.Context(), now, c.ID)
		detail = "collection paused on the subscription"
		result = page{Title: "Your subscription is paused",
			Message: "We will not charge you or remind you about this invoice for now. Write to us when you want to resume."}
	}
	if recoup.ErrorCode(err) == recoup.ECONFLICT {
		s.logger.InfoContext(r.Context(), "customer offer refused", "case", c.ID, "offer", string(o), "error", err.Error())
		s.showPage(w, http.StatusConflict, page{Title: "This choice is no longer available",
			Message: "The invoice changed meanwhile. Please open the link from our email again to see where it stands."})
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.recordOffer(r.Context(), c, o, now, detail); err != nil {
		return err
	}
	if to != "" {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	s.showPage(w, http.StatusOK, result)
	return nil
}

// recordOffer records an accepted choice: counted once per case and offer, on the timeline
// each time, and in the audit log.
func (s *Server) recordOffer(ctx context.Context, c recoup.Case, o recoup.Offer, now time.Time, detail string) error {
	err := s.store.Tx(ctx, func(tx recoup.Tx) error {
		if or, ok := tx.(recoup.OfferRecorder); ok {
			if _, err := or.RecordOfferChoice(recoup.OfferChoice{CaseID: c.ID, Offer: o, Segment: c.Segment, At: now}); err != nil {
				return err
			}
		}
		return appendEntry(tx, c.ID, now, recoup.EntryAction, "the customer chose "+o.Words()+" on the card update page: "+detail,
			map[string]any{"offer": o, "by": customerActor})
	})
	if err != nil {
		return err
	}
	as := s.access
	if as == nil {
		as, _ = s.store.(recoup.AccessStore)
	}
	if as != nil {
		e := &recoup.AuditEntry{At: now, UserEmail: customerActor, Action: "customer_offer_" + string(o), CaseID: c.ID, Outcome: "ok", Detail: detail}
		if err := as.AppendAudit(ctx, e); err != nil {
			// The choice is made and recorded on the case: a lost audit line is logged, not shown.
			s.logger.ErrorContext(ctx, "audit of a customer offer failed", "case", c.ID, "error", err.Error())
		}
	}
	return nil
}
