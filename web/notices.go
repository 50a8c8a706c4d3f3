package web

import (
	"fmt"
	"net/http"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/updatelink"
)

// The link pages of notices, messages outside any case (a card expiring before a renewal, an
// invoice reminder): /n/{token} opens Stripe's card update page for the notice's customer, or
// the hosted page of the notice's invoice; /unsubscribe/n/{token} stops the customer's emails.
// The token names only the notice, under purposes of its own, so it can never be read as a
// case's token.

func (s *Server) noticeRoutes(mux *http.ServeMux) {
	mux.Handle("GET /n/{token}", s.customer(s.openNoticeLink))
	mux.Handle("GET /unsubscribe/n/{token}", s.customer(s.confirmNoticeUnsubscribe))
	mux.Handle("POST /unsubscribe/n/{token}", s.customer(s.noticeUnsubscribe))
}

// linkNotice verifies the token for purpose p and returns its notice.
func (s *Server) linkNotice(r *http.Request, p updatelink.Purpose) (recoup.Notice, error) {
	claims, err := s.links.Signer.Verify(r.PathValue("token"), p, s.now())
	if err != nil {
		return recoup.Notice{}, err
	}
	var n recoup.Notice
	err = s.store.Tx(r.Context(), func(tx recoup.Tx) error {
		n, err = tx.Notice(claims.CaseID)
		return err
	})
	return n, err
}

// openNoticeLink redirects to Stripe: the hosted invoice page for an invoice reminder, the
// Billing Portal's card update for a card expiring. It can be opened again while it lives.
func (s *Server) openNoticeLink(w http.ResponseWriter, r *http.Request) error {
	if ok, err := s.guardLink(w, r, updatelink.NoticeUpdate); !ok {
		return err
	}
	n, err := s.linkNotice(r, updatelink.NoticeUpdate)
	if err != nil {
		return err
	}
	to, err := s.linkPortal(fmt.Sprint("notice ", n.ID), string(n.Kind), func() (string, error) {
		if n.Kind == recoup.NoticeInvoiceDue {
			return s.links.Portal.HostedInvoiceURL(r.Context(), n.InvoiceID)
		}
		return s.links.Portal.PaymentUpdateURL(r.Context(), n.CustomerID, s.returnURL())
	})
	if err != nil {
		return err
	}
	s.logger.InfoContext(r.Context(), "notice link opened", "notice", n.ID, "kind", n.Kind)
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (s *Server) confirmNoticeUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.linkNotice(r, updatelink.NoticeUnsubscribe); err != nil {
		return err
	}
	s.showPage(w, http.StatusOK, page{Title: "Stop these emails?",
		Message: "You will no longer receive emails from us about payments. Your subscription itself is not changed.",
		Confirm: "Unsubscribe"})
	return nil
}

// noticeUnsubscribe puts the notice's customer on the suppression list for email, as the
// case's unsubscribe does; there is no case timeline to note it on.
func (s *Server) noticeUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	n, err := s.linkNotice(r, updatelink.NoticeUnsubscribe)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.store.Tx(r.Context(), func(tx recoup.Tx) error {
		return tx.InsertSuppression(&recoup.Suppression{CustomerID: n.CustomerID, Channel: "email", Reason: recoup.SuppressUnsubscribe,
			Detail: "unsubscribe link of a " + n.Kind + " notice", CreatedAt: now})
	})
	if err != nil {
		return err
	}
	s.showPage(w, http.StatusOK, page{Title: "You are unsubscribed",
		Message: "You will receive no more emails from us about payments."})
	return nil
}
