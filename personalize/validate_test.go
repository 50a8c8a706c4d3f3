package personalize

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
)

// request returns a valid English request for a step of the given tone.
func request(t Tone) Request {
	body := "Hi Maria,\n\nWe tried to collect 49.00 USD for your Pro (monthly) plan, but the bank declined the payment. You can update your card here: {{update_link}}\n\nThank you for being with us."
	switch t {
	case ToneUrgent:
		body = "Hi Maria,\n\nWe still could not collect 49.00 USD for your Pro (monthly) plan. Action is needed: please update your card today so your subscription is not suspended: {{update_link}}\n\nThank you."
	case ToneFinal:
		body = "Hi Maria,\n\nThis is our final notice. We could not collect 49.00 USD for your Pro (monthly) plan, and your subscription will be cancelled unless you update your card: {{update_link}}\n\nThank you."
	}
	return Request{
		FirstName: "Maria", Plan: "Pro (monthly)", Amount: "49.00 USD", Reason: Reason(recoup.CategoryFunds),
		Step: 2, Tone: t, TenureDays: 400, Locale: "en",
		Subject: "Your payment didn't go through", Body: body,
	}
}

const (
	goodGentle = "Hi Maria,\n\nThank you for being with us for a year. We tried to collect 49.00 USD for your Pro (monthly) plan, but the payment did not go through. These things happen. When it suits you, you can check your card here: {{update_link}}\n\nWarm regards"
	goodUrgent = "Hi Maria,\n\nWe still could not collect 49.00 USD for your Pro (monthly) plan, and action is needed now to keep it running. Please update your card today: {{update_link}}\n\nThank you for being with us."
	goodFinal  = "Hi Maria,\n\nThis is our last notice: we could not collect 49.00 USD for your Pro (monthly) plan, and your subscription will end unless you update your card now: {{update_link}}\n\nThank you for being with us."
)

func TestValidate(t *testing.T) {
	long := strings.Repeat("We value you as a customer and we hope this helps. ", 50) + "{{update_link}}"
	tests := []struct {
		name    string
		tone    Tone
		locale  string
		subject string
		body    string
		allowed []Promise
		want    []Kind // the kinds found; none: accepted
	}{
		{name: "gentle ok", tone: ToneGentle, subject: "A quick note about your payment, Maria", body: goodGentle},
		{name: "helpful ok", tone: ToneHelpful, subject: "Update your card in a minute", body: goodGentle},
		{name: "urgent ok", tone: ToneUrgent, subject: "Action needed on your Pro plan", body: goodUrgent},
		{name: "final ok", tone: ToneFinal, subject: "Final notice about your Pro plan", body: goodFinal},
		{name: "amount written differently", tone: ToneGentle, subject: "About your $49 payment", body: strings.Replace(goodGentle, "49.00 USD", "$49", 1)},

		{name: "placeholder missing", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "{{update_link}}", "the link below", 1), want: []Kind{KindPlaceholder}},
		{name: "placeholder twice", tone: ToneGentle, subject: "About your payment", body: goodGentle + "\nOr here: {{update_link}}", want: []Kind{KindPlaceholder}},
		{name: "placeholder in subject", tone: ToneGentle, subject: "Update here {{update_link}}", body: goodGentle, want: []Kind{KindPlaceholder}},
		{name: "placeholder altered", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "{{update_link}}", "{update_link}", 1), want: []Kind{KindPlaceholder}},

		{name: "subject empty", tone: ToneGentle, subject: " ", body: goodGentle, want: []Kind{KindLength}},
		{name: "subject too long", tone: ToneGentle, subject: strings.Repeat("Your payment ", 12), body: goodGentle, want: []Kind{KindLength}},
		{name: "subject on two lines", tone: ToneGentle, subject: "About your\npayment", body: goodGentle, want: []Kind{KindLength}},
		{name: "body too short", tone: ToneGentle, subject: "About your payment", body: "Update: {{update_link}}", want: []Kind{KindLength}},
		{name: "body too long", tone: ToneGentle, subject: "About your payment", body: long, want: []Kind{KindLength}},

		{name: "gentle threatens suspension", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "Otherwise we will suspend your account.", 1), want: []Kind{KindTone}},
		{name: "helpful presses", tone: ToneHelpful, subject: "Update your card immediately", body: goodGentle, want: []Kind{KindTone}},
		{name: "urgent turned breezy", tone: ToneUrgent, subject: "Action needed on your Pro plan", body: strings.Replace(goodUrgent, "Thank you for being with us.", "No rush though!", 1), want: []Kind{KindTone}},
		{name: "urgent without urgency", tone: ToneUrgent, subject: "About your Pro plan", body: "Hi Maria,\n\nWe could not collect 49.00 USD for your Pro (monthly) plan. You can update your card here: {{update_link}}\n\nThank you for being with us.", want: []Kind{KindTone}},
		{name: "final without finality", tone: ToneFinal, subject: "Action needed on your Pro plan", body: goodUrgent, want: []Kind{KindTone}},
		{name: "final threatens collections", tone: ToneFinal, subject: "Final notice", body: strings.Replace(goodFinal, "Thank you for being with us.", "We may pass the debt to a collection agency.", 1), want: []Kind{KindTone}},

		{name: "discount", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "Use code SAVE to get a discount.", 1), want: []Kind{KindPromise}},
		{name: "refund", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "We will refund any double charge.", 1), want: []Kind{KindPromise}},
		{name: "free month", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "Your next month is on us.", 1), want: []Kind{KindPromise}},
		{name: "extension", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "We have given you some extra time to sort it out.", 1), want: []Kind{KindPromise}},
		{name: "waiver", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "We can waive the fee this once.", 1), want: []Kind{KindPromise}},
		{name: "extension allowed by the policy", tone: ToneGentle, allowed: []Promise{PromiseExtension}, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "We have given you some extra time to sort it out.", 1)},

		{name: "html tag", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "<b>These things happen.</b>", 1), want: []Kind{KindMarkup}},
		{name: "script", tone: ToneGentle, subject: "About your payment", body: goodGentle + "<script>alert(1)</script>", want: []Kind{KindMarkup}},
		{name: "entity", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "These things happen &nbsp; often.", 1), want: []Kind{KindMarkup}},
		{name: "template syntax", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "Maria", "{{.CustomerEmail}}", 1), want: []Kind{KindMarkup}},
		{name: "markdown link", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "See [our help](help).", 1), want: []Kind{KindMarkup}},

		{name: "url", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "Or pay at https://pay.example.net/x.", 1), want: []Kind{KindURL}},
		{name: "bare domain", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "Or visit billing-help.com.", 1), want: []Kind{KindURL}},
		{name: "email address", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "Write to help@shop.example.", 1), want: []Kind{KindURL}},

		{name: "invented amount", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "49.00 USD", "59.00 USD", 1), want: []Kind{KindFigure}},
		{name: "invented deadline", tone: ToneGentle, subject: "About your payment", body: strings.Replace(goodGentle, "These things happen.", "Please check it within 3 days.", 1), want: []Kind{KindFigure}},

		{name: "english for a german customer", tone: ToneGentle, locale: "de", subject: "About your payment", body: goodGentle, want: []Kind{KindLanguage}},
		{name: "german for an english customer", tone: ToneGentle, subject: "Ihre Zahlung", body: germanBody, want: []Kind{KindLanguage}},
		{name: "german for a german customer", tone: ToneGentle, locale: "de-DE", subject: "Ihre Zahlung", body: germanBody},
		{name: "english for a japanese customer", tone: ToneGentle, locale: "ja", subject: "About your payment", body: goodGentle, want: []Kind{KindLanguage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(tt.tone)
			if tt.locale != "" {
				r.Locale = tt.locale
			}
			err := Validate(r, tt.subject, tt.body, Rules{Limits: DefaultLimits, Allowed: tt.allowed})
			var got []Kind
			if err != nil {
				var vs Violations
				if !errors.As(err, &vs) {
					t.Fatalf("error %v is not Violations", err)
				}
				for _, v := range vs {
					if !slices.Contains(got, v.Kind) {
						got = append(got, v.Kind)
					}
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("kinds = %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
}

const germanBody = "Hallo Maria,\n\nwir konnten die Zahlung von 49.00 USD für Ihren Plan Pro (monthly) leider nicht einziehen. Die Bank hat sie abgelehnt. Bitte aktualisieren Sie Ihre Karte hier: {{update_link}}\n\nDanke, dass Sie bei uns sind."

// A promise the merchant's own template makes may be kept by the model.
func TestValidatePromiseInTemplate(t *testing.T) {
	r := request(ToneGentle)
	r.Body = strings.Replace(r.Body, "Thank you", "As promised, your grace period runs on. Thank you", 1)
	body := strings.Replace(goodGentle, "These things happen.", "Your grace period runs on.", 1)
	if err := Validate(r, "About your payment", body, Rules{Limits: DefaultLimits}); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

// The tone word lists are English: another language is checked for language only.
func TestValidateToneOnlyInEnglish(t *testing.T) {
	r := request(ToneGentle)
	r.Locale = "de"
	body := strings.Replace(germanBody, "Danke", "Sonst wird Ihr Konto gesperrt. Danke", 1)
	if err := Validate(r, "Ihre Zahlung", body, Rules{Limits: DefaultLimits}); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

// Validate runs once per generated message; its regular expressions dominate.
func BenchmarkValidate(b *testing.B) {
	r := request(ToneUrgent)
	for b.Loop() {
		if err := Validate(r, "Action needed on your Pro plan", goodUrgent, Rules{Limits: DefaultLimits}); err != nil {
			b.Fatal(err)
		}
	}
}
