package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/updatelink"
)

func (e *linkEnv) newNotice(t *testing.T, kind, key string) recoup.Notice {
	t.Helper()
	n := recoup.Notice{Kind: kind, Key: key, CustomerID: "cus_" + key, InvoiceID: "in_" + key, Channel: "email",
		Status: recoup.MessageSent, CreatedAt: testNow, DueAt: testNow.Add(72 * time.Hour)}
	if err := e.store.Tx(t.Context(), func(tx recoup.Tx) error { return tx.InsertNotice(&n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNoticeLinks(t *testing.T) {
	e := newLinkEnv(t)
	card := e.newNotice(t, recoup.NoticeCardExpiring, "card")
	inv := e.newNotice(t, recoup.NoticeInvoiceDue, "inv")
	later := testNow.Add(time.Hour)
	for _, tc := range []struct {
		name, path string
		status     int
		location   string
	}{
		{"a card expiring opens the portal for its customer", "/n/" + e.token(t, updatelink.NoticeUpdate, card.ID, later), http.StatusSeeOther, "https://billing.stripe.com/p/session/test_123"},
		{"an invoice reminder opens the invoice's page", "/n/" + e.token(t, updatelink.NoticeUpdate, inv.ID, later), http.StatusSeeOther, "https://invoice.stripe.com/i/in_inv"},
		{"a case's token is no notice's", "/n/" + e.token(t, updatelink.Update, card.ID, later), http.StatusBadRequest, ""},
		{"a notice's token is no case's", "/u/" + e.token(t, updatelink.NoticeUpdate, card.ID, later), http.StatusBadRequest, ""},
		{"expired", "/n/" + e.token(t, updatelink.NoticeUpdate, card.ID, testNow.Add(-time.Second)), http.StatusGone, ""},
		{"no such notice", "/n/" + e.token(t, updatelink.NoticeUpdate, 999, later), http.StatusBadRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do("GET", tc.path, "")
			if w.Code != tc.status || w.Header().Get("Location") != tc.location {
				t.Fatalf("%d %q, want %d %q\n%s", w.Code, w.Header().Get("Location"), tc.status, tc.location, w.Body)
			}
		})
	}
	if len(e.portal.customers) != 1 || e.portal.customers[0] != "cus_card" {
		t.Errorf("portal sessions for %v", e.portal.customers)
	}

	// Unsubscribe: the GET asks, the POST suppresses the notice's customer.
	path := "/unsubscribe/n/" + e.token(t, updatelink.NoticeUnsubscribe, card.ID, later)
	if w := e.do("GET", path, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Unsubscribe") {
		t.Fatalf("GET: %d\n%s", w.Code, w.Body)
	}
	suppressed := func() bool {
		found := false
		_ = e.store.Tx(t.Context(), func(tx recoup.Tx) error {
			_, err := tx.Suppression("cus_card", "email")
			found = err == nil
			return nil
		})
		return found
	}
	if suppressed() {
		t.Fatal("a GET unsubscribed")
	}
	for range 2 { // repeating changes nothing
		if w := e.do("POST", path, "List-Unsubscribe=One-Click"); w.Code != http.StatusOK {
			t.Fatalf("POST: %d\n%s", w.Code, w.Body)
		}
	}
	if !suppressed() {
		t.Error("the POST did not unsubscribe")
	}
}
