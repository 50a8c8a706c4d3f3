package dashboard_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
)

// A read-only viewer must not be able to use a customer's live links: the case page shows which
// link a message carried, never the link (issue 19, item 8).
func TestCasePageShowsNoLiveLink(t *testing.T) {
	e := newEnv(t)
	c := e.cases[0]
	const (
		update = "https://pay.example.com/u/AgAbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrSt"
		unsub  = "https://pay.example.com/unsubscribe/AgAbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrSt"
	)
	if err := e.store.Tx(t.Context(), func(tx recoup.Tx) error {
		return tx.InsertMessage(&recoup.Message{CaseID: c.ID, InvoiceID: c.InvoiceID, CustomerID: c.CustomerID, Step: 7, Channel: "email",
			Template: "reminder", Tone: "urgent", Status: recoup.MessageSent, Subject: "Last reminder", CreatedAt: e.now, SentAt: e.now,
			Text: "Update your card: " + update + "\n\nStop these emails: " + unsub, HTML: `<a href="` + update + `">Update</a>`})
	}); err != nil {
		t.Fatal(err)
	}
	status, _, body := e.as(recoup.RoleViewer).get(fmt.Sprintf("/ui/cases/%d", c.ID))
	if status != http.StatusOK {
		t.Fatalf("case page: %d", status)
	}
	if strings.Contains(body, "/u/") || strings.Contains(body, "/unsubscribe/") || strings.Contains(body, "AgAbCdEf") {
		t.Errorf("the case page shows a live link:\n%s", body)
	}
	for _, want := range []string{"Update your card: [card update link]", "Stop these emails: [unsubscribe link]"} {
		if !strings.Contains(body, want) {
			t.Errorf("the case page does not say which link the message carried (%q)", want)
		}
	}
}
