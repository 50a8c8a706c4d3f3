package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/updatelink"
	"github.com/recoup-hq/recoup/web"
)

// demoLinks opens the card update links the demo's simulated customers click (sim's
// LiveConfig.OnClick), through the demo server's own /u/{token} page: a click is recorded as a
// real customer's would be, on the case's timeline and on the campaign page, never by writing
// the counters directly. The links are signed with a key made for the run.
type demoLinks struct {
	links  *updatelink.Links
	pages  *web.LinksConfig
	client *http.Client
	now    func() time.Time // the simulation's clock; set before the simulation runs
	log    *slog.Logger
}

func newDemoLinks(addr string, log *slog.Logger) (*demoLinks, error) {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails
	signer, err := updatelink.NewSigner(secret)
	if err != nil {
		return nil, fmt.Errorf("demo links: %w", err)
	}
	base := "http://" + addr
	links, err := updatelink.NewLinks(base, signer, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("demo links: %w", err)
	}
	return &demoLinks{links: links, log: log,
		pages: &web.LinksConfig{Signer: signer, Portal: demoPortal{base}, BaseURL: base, Company: "recoup demo"},
		// The page sends the customer on to Stripe: the simulated customer stops there.
		client: &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}, nil
}

// open opens the card update link of the message's case, as the customer's browser would.
func (d *demoLinks) open(m recoup.Message) {
	u, err := d.links.UpdateURL(m.CaseID, d.now())
	if err != nil {
		d.log.Warn("demo: sign a card update link", "case", m.CaseID, "err", err)
		return
	}
	resp, err := d.client.Get(u)
	if err != nil {
		d.log.Warn("demo: open a card update link", "case", m.CaseID, "err", err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusOK {
		d.log.Warn("demo: open a card update link", "case", m.CaseID, "status", resp.Status)
	}
}

// demoPortal stands for Stripe's pages in the demo: the link page sends the customer to the
// demo's own thank-you page.
type demoPortal struct{ base string }

func (p demoPortal) PaymentUpdateURL(context.Context, string, string) (string, error) {
	return p.base + "/u/done", nil
}

func (p demoPortal) HostedInvoiceURL(context.Context, string) (string, error) {
	return p.base + "/u/done", nil
}
