package dashboard_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// The campaigns page counts the offers customers chose and what the texts cost.
func TestCampaignsShowOffersAndCosts(t *testing.T) {
	e := newEnv(t)
	at := e.now.Add(-24 * time.Hour)
	c := e.cases[0]
	if err := e.store.Tx(t.Context(), func(tx recoup.Tx) error {
		for _, o := range []recoup.Offer{recoup.OfferPaymentPlan, recoup.OfferPause} {
			if _, err := tx.(recoup.OfferRecorder).RecordOfferChoice(recoup.OfferChoice{CaseID: c.ID, Offer: o, Segment: "default", At: at}); err != nil {
				return err
			}
		}
		m := recoup.Message{CaseID: c.ID, InvoiceID: c.InvoiceID, CustomerID: c.CustomerID, Step: 7, Channel: "sms",
			Template: "update_card", Status: recoup.MessageSent, CreatedAt: at, SentAt: at}
		if err := tx.InsertMessage(&m); err != nil {
			return err
		}
		return tx.(recoup.CostRecorder).RecordMessageCost(recoup.MessageCost{MessageID: m.ID, CaseID: c.ID, Channel: "sms", At: at,
			Receipt: recoup.Receipt{ProviderID: "SM1", Segments: 2, CostMicros: 16600, Currency: "USD"}})
	}); err != nil {
		t.Fatal(err)
	}
	status, _, body := e.as(recoup.RoleViewer).get("/ui/campaigns?days=30")
	if status != http.StatusOK {
		t.Fatalf("%d\n%s", status, body)
	}
	for _, want := range []string{"<td>payment plan</td><td class=\"num\">1</td>", "<td>pause</td><td class=\"num\">1</td>",
		"<td>Text (SMS)</td><td class=\"num\">1</td><td class=\"num\">0.0166 USD</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the campaigns page lacks %q", want)
		}
	}
}
