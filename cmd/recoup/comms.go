package main

import (
	"fmt"
	"net/mail"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/notify"
	"github.com/recoup-hq/recoup/notify/email"
	"github.com/recoup-hq/recoup/notify/templates"
	"github.com/recoup-hq/recoup/notify/webhook"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/updatelink"
	"github.com/recoup-hq/recoup/web"
)

// CommsFlags configure the customer messages: the email and webhook channels, the signed links
// in messages, the templates and the branding. Every one is optional: without a channel,
// campaign steps are recorded as skipped, as before.
type CommsFlags struct {
	// SMTPURL is the SMTP server for customer email, with its password:
	// smtp://user:pass@host:587 (STARTTLS required) or smtps://user:pass@host:465. Empty: no email.
	SMTPURL      string `kong:"-" secret:"RECOUP_SMTP_URL"`
	OldSMTPURL   string `name:"smtp-url" hidden:"" removed:"RECOUP_SMTP_URL"`
	SMTPInsecure bool   `name:"smtp-insecure" env:"RECOUP_SMTP_INSECURE" help:"Send email without TLS when the server offers none. For a local test server only."`
	EmailFrom    string `name:"email-from" env:"RECOUP_EMAIL_FROM" help:"Sender of customer email, e.g. 'Acme Billing <billing@acme.com>'."`
	Unsubscribe  string `name:"unsubscribe-mailto" env:"RECOUP_UNSUBSCRIBE_MAILTO" help:"Optional address offered in List-Unsubscribe beside the one-click link."`

	PublicURL string `name:"public-url" env:"RECOUP_PUBLIC_URL" help:"Public base URL of this service (https://pay.example.com): the card update and unsubscribe links point here."`
	// LinkSecret signs the links in messages (32+ random characters); required with email.
	LinkSecret      string `kong:"-" secret:"RECOUP_LINK_SECRET"`
	OldLinkSecret   string `name:"link-secret" hidden:"" removed:"RECOUP_LINK_SECRET"`
	PortalReturnURL string `name:"portal-return-url" env:"RECOUP_PORTAL_RETURN_URL" help:"Where Stripe's portal sends the customer after updating their card; default: a thank-you page of this service."`

	OutgoingWebhookURL string `name:"outgoing-webhook-url" env:"RECOUP_OUTGOING_WEBHOOK_URL" help:"Your app's URL for recoup's signed webhooks: webhook-channel messages and case lifecycle events. Empty: none."`
	// OutgoingWebhookSecret signs the outgoing webhooks (Recoup-Signature); 16+ characters.
	OutgoingWebhookSecret    string `kong:"-" secret:"RECOUP_OUTGOING_WEBHOOK_SECRET"`
	OldOutgoingWebhookSecret string `name:"outgoing-webhook-secret" hidden:"" removed:"RECOUP_OUTGOING_WEBHOOK_SECRET"`

	Templates    string `name:"templates" env:"RECOUP_TEMPLATES" type:"path" help:"Directory of template overrides and extra locales (see docs/messages.md); empty: the built-in English templates."`
	BrandName    string `name:"brand-name" env:"RECOUP_BRAND_NAME" help:"Company name shown in customer messages. Required with email."`
	BrandLogo    string `name:"brand-logo-url" env:"RECOUP_BRAND_LOGO_URL" help:"https URL of the logo shown in emails."`
	BrandAccent  string `name:"brand-accent" env:"RECOUP_BRAND_ACCENT" help:"Button colour in emails, #rrggbb."`
	BrandSupport string `name:"brand-support-email" env:"RECOUP_BRAND_SUPPORT_EMAIL" help:"Support address shown in messages and used as Reply-To."`

	Confirmation  bool   `name:"confirmation" env:"RECOUP_CONFIRMATION" help:"Email a 'payment received' message once when a case is recovered, to customers recoup wrote to about it. Needs email."`
	CardExpiring  bool   `name:"card-expiry-notices" env:"RECOUP_CARD_EXPIRY_NOTICES" help:"Email a notice when the card a subscription's next renewal charges expires before it (pre-dunning; events customer.source.expiring and invoice.upcoming). Needs email."`
	SMSFrom       string `name:"sms-from" env:"RECOUP_SMS_FROM" help:"Sender of customer texts (the sms channel): a Twilio number in E.164 or a Messaging Service SID (MG...). Credentials come from TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_AUTH_TOKEN_FILE) in the environment only."`
	SMSPrice      string `name:"sms-price" env:"RECOUP_SMS_PRICE" help:"Price of one SMS segment, counted per text on the campaigns page, e.g. '0.0083 USD'."`
	TwilioAPIBase string `name:"twilio-api-base" env:"TWILIO_API_BASE" hidden:"" help:"Twilio's API base URL (tests)."`
	ReminderDays  []int  `name:"invoice-reminder-days" env:"RECOUP_INVOICE_REMINDER_DAYS" sep:"," help:"Remind customers of invoices sent to be paid (collection_method send_invoice) on these days relative to the due date, e.g. -3,0,3,7 (event invoice.finalized). Empty: none. Needs email."`
}

// comms is the wired customer-communication parts; a nil field is not configured.
type comms struct {
	notifier recoup.Notifier
	renderer engine.Renderer
	sink     recoup.EventSink
	links    *web.LinksConfig
	// confirmation is the channel of the "payment received" message; "": none.
	confirmation string
	notices      engine.NoticeConfig
}

// validate checks the settings together. Error messages never include a secret.
func (f *CommsFlags) validate() error {
	emailOn := f.SMTPURL != ""
	if emailOn {
		if _, err := email.ParseURL(f.SMTPURL); err != nil {
			return fmt.Errorf("RECOUP_SMTP_URL: %w", err)
		}
		if _, err := mail.ParseAddress(f.EmailFrom); err != nil {
			return fmt.Errorf("RECOUP_EMAIL_FROM must be a sender address when email is configured, e.g. 'Acme Billing <billing@acme.com>'")
		}
		if f.PublicURL == "" || f.LinkSecret == "" {
			return fmt.Errorf("email needs RECOUP_PUBLIC_URL and RECOUP_LINK_SECRET: every email carries a signed card update link and an unsubscribe link")
		}
		if f.BrandName == "" {
			return fmt.Errorf("email needs RECOUP_BRAND_NAME: the company name customers know")
		}
	}
	if f.PublicURL != "" || f.LinkSecret != "" {
		if f.PublicURL == "" || f.LinkSecret == "" {
			return fmt.Errorf("RECOUP_PUBLIC_URL and RECOUP_LINK_SECRET go together")
		}
		if _, err := f.linkSigner(); err != nil {
			return err
		}
		if !strings.HasPrefix(f.PublicURL, "https://") && !strings.HasPrefix(f.PublicURL, "http://127.0.0.1") && !strings.HasPrefix(f.PublicURL, "http://localhost") {
			return fmt.Errorf("RECOUP_PUBLIC_URL must be an https URL, got %q", f.PublicURL)
		}
	}
	if f.Confirmation && !emailOn {
		return fmt.Errorf("RECOUP_CONFIRMATION needs email (RECOUP_SMTP_URL): the confirmation is an email")
	}
	if f.CardExpiring && !emailOn {
		return fmt.Errorf("RECOUP_CARD_EXPIRY_NOTICES needs email (RECOUP_SMTP_URL): the notice is an email")
	}
	if len(f.ReminderDays) > 0 && !emailOn {
		return fmt.Errorf("RECOUP_INVOICE_REMINDER_DAYS needs email (RECOUP_SMTP_URL): the reminders are emails")
	}
	for _, d := range f.ReminderDays {
		if d < -30 || d > 90 {
			return fmt.Errorf("RECOUP_INVOICE_REMINDER_DAYS: day %d is out of range: from -30 (before the due date) to 90 (after)", d)
		}
	}
	if (f.OutgoingWebhookURL == "") != (f.OutgoingWebhookSecret == "") {
		return fmt.Errorf("RECOUP_OUTGOING_WEBHOOK_URL and RECOUP_OUTGOING_WEBHOOK_SECRET go together")
	}
	return nil
}

// linkSigner is the signer of RECOUP_LINK_SECRET: one secret, or "ID:SECRET,..." while it is
// rolled (the first signs new links, all verify). Its errors never include a secret.
func (f *CommsFlags) linkSigner() (*updatelink.Signer, error) {
	var keys []updatelink.Key
	for _, k := range keyedSecrets(f.LinkSecret) {
		if len(k.secret) < updatelink.MinSecretBytes {
			return nil, fmt.Errorf("RECOUP_LINK_SECRET is too short (key %d): use at least %d random characters", k.id, updatelink.MinSecretBytes)
		}
		keys = append(keys, updatelink.Key{ID: k.id, Secret: []byte(k.secret)})
	}
	s, err := updatelink.NewKeyedSigner(keys)
	if err != nil {
		return nil, fmt.Errorf("RECOUP_LINK_SECRET: %w", err)
	}
	return s, nil
}

// webhookKeys are the keys of RECOUP_OUTGOING_WEBHOOK_SECRET, one secret or "ID:SECRET,...".
func (f *CommsFlags) webhookKeys() []webhook.Key {
	var keys []webhook.Key
	for _, k := range keyedSecrets(f.OutgoingWebhookSecret) {
		keys = append(keys, webhook.Key{ID: k.id, Secret: k.secret})
	}
	return keys
}

// build wires the channels, the renderer and the link pages. portal is Stripe, for the pages.
func (f *CommsFlags) build(pol *policy.Policy, portal web.Portal, clock func() time.Time) (comms, error) {
	var out comms
	if err := f.validate(); err != nil {
		return out, err
	}
	channels := map[string]recoup.Notifier{}
	var links *updatelink.Links
	if f.LinkSecret != "" {
		signer, err := f.linkSigner()
		if err != nil {
			return out, err
		}
		if links, err = updatelink.NewLinks(f.PublicURL, signer, 0, 0); err != nil {
			return out, fmt.Errorf("RECOUP_PUBLIC_URL: %w", err)
		}
		out.links = &web.LinksConfig{Signer: signer, Portal: portal, ReturnURL: f.PortalReturnURL, BaseURL: links.Base(),
			Company: f.BrandName, Support: f.BrandSupport}
	}
	if links != nil && f.BrandName != "" {
		brand := templates.Branding{Company: f.BrandName, LogoURL: f.BrandLogo, Accent: f.BrandAccent, Support: f.BrandSupport, From: f.EmailFrom}
		set, err := templates.Load(f.Templates, brand)
		if err != nil {
			return out, fmt.Errorf("RECOUP_TEMPLATES / branding: %w", err)
		}
		out.renderer = &templates.Campaign{Set: set, Links: links, Location: pol.Location}
	}
	if f.SMTPURL != "" {
		cfg, _ := email.ParseURL(f.SMTPURL) // validated above
		cfg.Insecure, cfg.From, cfg.ReplyTo, cfg.UnsubscribeMailto, cfg.Now = f.SMTPInsecure, f.EmailFrom, f.BrandSupport, f.Unsubscribe, clock
		cfg.Unsubscribe = func(m recoup.Message) (string, error) {
			if m.NoticeID != 0 {
				return links.NoticeUnsubscribeURL(m.NoticeID, clock())
			}
			return links.UnsubscribeURL(m.CaseID, clock())
		}
		sender, err := email.New(cfg)
		if err != nil {
			return out, fmt.Errorf("email: %w", err)
		}
		channels["email"] = sender
		if f.Confirmation {
			out.confirmation = "email"
		}
		out.notices = engine.NoticeConfig{Channel: "email", CardExpiring: f.CardExpiring,
			InvoiceDueDays: slices.Compact(slices.Sorted(slices.Values(f.ReminderDays)))}
	}
	if f.OutgoingWebhookURL != "" {
		cfg := webhook.Config{URL: f.OutgoingWebhookURL, Keys: f.webhookKeys(), Now: clock}
		if links != nil {
			cfg.UpdateURL = func(m recoup.Message) (string, error) {
				if m.NoticeID != 0 {
					return links.NoticeUpdateURL(m.NoticeID, clock())
				}
				return links.UpdateURL(m.CaseID, clock())
			}
		}
		hook, err := webhook.New(cfg)
		if err != nil {
			return out, fmt.Errorf("RECOUP_OUTGOING_WEBHOOK_URL: %w", err)
		}
		channels["webhook"] = hook
		out.sink = hook
	}
	tw, inbound, err := f.smsChannel(os.LookupEnv, f.PublicURL)
	if err != nil {
		return out, fmt.Errorf("sms: %w", err)
	}
	if tw != nil {
		channels["sms"] = tw
		out.links.SMS = inbound
	}
	if len(channels) > 0 {
		out.notifier = notify.NewRouter(channels)
	}
	return out, nil
}

// describe lists what is configured, for the start-up log: names only, never a secret.
func (cm comms) describe() []any {
	var channels []string
	if r, ok := cm.notifier.(*notify.Router); ok {
		channels = r.Channels()
	}
	return []any{"channels", channels, "templates", cm.renderer != nil, "link_pages", cm.links != nil, "lifecycle_events", cm.sink != nil, "confirmation", cm.confirmation != "", "card_expiry_notices", cm.notices.CardExpiring, "invoice_reminder_days", cm.notices.InvoiceDueDays}
}
