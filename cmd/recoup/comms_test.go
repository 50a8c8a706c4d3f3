package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/notify"
	"github.com/recoup-hq/recoup/policy"
)

type nopPortal struct{}

func (nopPortal) PaymentUpdateURL(context.Context, string, string) (string, error) { return "", nil }
func (nopPortal) HostedInvoiceURL(context.Context, string) (string, error)         { return "", nil }

const linkSecret = "a-link-secret-of-32-characters-or-more"

func fullComms() CommsFlags {
	return CommsFlags{
		SMTPURL: "smtp://mailer:smtp-password-123@smtp.acme.example:587", EmailFrom: "Acme Billing <billing@acme.example>",
		PublicURL: "https://pay.acme.example", LinkSecret: linkSecret, BrandName: "Acme", BrandSupport: "help@acme.example",
		OutgoingWebhookURL: "https://app.acme.example/hooks/recoup", OutgoingWebhookSecret: "webhook-secret-0123456789",
	}
}

func TestCommsFlagsBuild(t *testing.T) {
	t.Run("nothing configured: no channel, as before", func(t *testing.T) {
		var f CommsFlags
		cm, err := f.build(policy.Default(), nopPortal{}, time.Now)
		if err != nil || cm.notifier != nil || cm.renderer != nil || cm.sink != nil || cm.links != nil {
			t.Fatalf("%+v %v", cm, err)
		}
	})
	t.Run("everything", func(t *testing.T) {
		f := fullComms()
		cm, err := f.build(policy.Default(), nopPortal{}, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := cm.notifier.(*notify.Router)
		if !ok || strings.Join(r.Channels(), ",") != "email,webhook" || cm.renderer == nil || cm.sink == nil || cm.links == nil {
			t.Fatalf("%+v", cm)
		}
		if cm.links.BaseURL != "https://pay.acme.example" || cm.links.Company != "Acme" {
			t.Errorf("links %+v", cm.links)
		}
	})
	t.Run("confirmation", func(t *testing.T) {
		f := fullComms()
		cm, err := f.build(policy.Default(), nopPortal{}, time.Now)
		if err != nil || cm.confirmation != "" {
			t.Fatalf("off by default: %q %v", cm.confirmation, err)
		}
		f.Confirmation = true
		if cm, err = f.build(policy.Default(), nopPortal{}, time.Now); err != nil || cm.confirmation != "email" {
			t.Fatalf("on: %q %v", cm.confirmation, err)
		}
	})
	t.Run("notices", func(t *testing.T) {
		f := fullComms()
		f.CardExpiring, f.ReminderDays = true, []int{7, -3, 0, 3, 0}
		cm, err := f.build(policy.Default(), nopPortal{}, time.Now)
		if err != nil || !cm.notices.CardExpiring || cm.notices.Channel != "email" || fmt.Sprint(cm.notices.InvoiceDueDays) != "[-3 0 3 7]" {
			t.Fatalf("%+v %v", cm.notices, err)
		}
	})
	t.Run("webhook only", func(t *testing.T) {
		f := CommsFlags{OutgoingWebhookURL: "https://app.acme.example/h", OutgoingWebhookSecret: "webhook-secret-0123456789"}
		cm, err := f.build(policy.Default(), nopPortal{}, time.Now)
		if err != nil || cm.sink == nil || cm.links != nil {
			t.Fatalf("%+v %v", cm, err)
		}
	})
}

func TestCommsFlagsRefused(t *testing.T) {
	for name, mod := range map[string]func(*CommsFlags){
		"email without a sender":       func(f *CommsFlags) { f.EmailFrom = "" },
		"email without links":          func(f *CommsFlags) { f.PublicURL, f.LinkSecret = "", "" },
		"email without a brand":        func(f *CommsFlags) { f.BrandName = "" },
		"a short link secret":          func(f *CommsFlags) { f.LinkSecret = "short" },
		"an http public URL":           func(f *CommsFlags) { f.PublicURL = "http://pay.acme.example" },
		"a webhook URL without secret": func(f *CommsFlags) { f.OutgoingWebhookSecret = "" },
		"a bad SMTP URL":               func(f *CommsFlags) { f.SMTPURL = "http://smtp-password-123@smtp.acme.example" },
		"a bad accent colour":          func(f *CommsFlags) { f.BrandAccent = "red" },
		"a webhook over http":          func(f *CommsFlags) { f.OutgoingWebhookURL = "http://app.acme.example/h" },
		"a confirmation without email": func(f *CommsFlags) { f.SMTPURL, f.Confirmation = "", true },
		"card notices without email":   func(f *CommsFlags) { f.SMTPURL, f.CardExpiring = "", true },
		"reminders without email":      func(f *CommsFlags) { f.SMTPURL, f.ReminderDays = "", []int{0} },
		"a reminder a year late":       func(f *CommsFlags) { f.ReminderDays = []int{0, 365} },
	} {
		t.Run(name, func(t *testing.T) {
			f := fullComms()
			mod(&f)
			_, err := f.build(policy.Default(), nopPortal{}, time.Now)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, secret := range []string{"smtp-password-123", linkSecret, "webhook-secret-0123456789"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows a secret: %v", err)
				}
			}
		})
	}
}
