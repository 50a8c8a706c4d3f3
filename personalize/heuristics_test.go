package personalize

import (
	"slices"
	"testing"
)

// Real-sounding dunning paragraphs, one per language with a stopword list.
var samples = map[string]string{
	"en": "Hi Maria, we tried to collect your payment for the Pro plan, but the bank declined it. Please update your card so that your subscription can continue. Thank you for being with us.",
	"de": "Hallo Maria, wir konnten die Zahlung für Ihren Plan leider nicht einziehen, die Bank hat sie abgelehnt. Bitte aktualisieren Sie Ihre Karte, damit Ihr Abonnement weiterläuft. Danke, dass Sie bei uns sind.",
	"fr": "Bonjour Maria, nous n'avons pas pu encaisser le paiement de votre abonnement, la banque l'a refusé. Merci de mettre à jour votre carte pour que votre abonnement continue. Merci de votre confiance.",
	"es": "Hola Maria, no pudimos cobrar el pago de su plan, el banco lo ha rechazado. Por favor actualice su tarjeta para que su suscripción continúe. Gracias por estar con nosotros.",
	"it": "Ciao Maria, non siamo riusciti a incassare il pagamento del suo piano, la banca lo ha rifiutato. La preghiamo di aggiornare la sua carta per continuare il suo abbonamento. Grazie per essere con noi.",
	"nl": "Hallo Maria, we konden de betaling voor uw abonnement niet innen, de bank heeft die geweigerd. Werk uw kaart bij zodat uw abonnement doorloopt. Dank dat u bij ons bent.",
	"pt": "Olá Maria, não conseguimos cobrar o pagamento do seu plano, o banco recusou. Por favor atualize o seu cartão para que a sua assinatura continue. Obrigado por estar com a gente.",
}

func TestCheckLanguage(t *testing.T) {
	for lang, text := range samples {
		for locale := range samples {
			ok := checkLanguage(locale, text) == ""
			if ok != (locale == lang) {
				t.Errorf("locale %s, text in %s: accepted = %v (%s)", locale, lang, ok, checkLanguage(locale, text))
			}
		}
	}
}

func TestCheckLanguageWithoutList(t *testing.T) {
	tests := []struct {
		name, locale, text string
		ok                 bool
	}{
		{"english for swedish", "sv", samples["en"], false},
		{"swedish for swedish", "sv-SE", "Hej Maria, vi kunde inte dra betalningen för din plan, banken avvisade den. Uppdatera ditt kort så att prenumerationen fortsätter. Tack för att du är med oss.", true},
		{"japanese for japanese", "ja", "お支払いを処理できませんでした。カード情報を更新してください。", true},
		{"too short to judge", "de", "Update your card here please, thanks.", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkLanguage(tt.locale, tt.text); (got == "") != tt.ok {
				t.Errorf("checkLanguage = %q, want ok %v", got, tt.ok)
			}
		})
	}
}

func TestFindPromises(t *testing.T) {
	tests := []struct {
		text string
		want []Promise
	}{
		{"We tried to charge your card for the Pro plan. Thank you for your time.", nil},
		{"Please update your card so your subscription continues.", nil},
		{"Enjoy 20% off when you update your card.", []Promise{PromiseDiscount}},
		{"Use this coupon at checkout.", []Promise{PromiseDiscount}},
		{"We'll give you your money back.", []Promise{PromiseRefund}},
		{"Your next month is free of charge.", []Promise{PromiseFreePeriod}},
		{"Two weeks for free if you stay!", []Promise{PromiseFreePeriod}},
		{"Take a few more days to sort it out.", []Promise{PromiseExtension}},
		{"We have extended your access.", []Promise{PromiseExtension}},
		{"You're in your grace period.", []Promise{PromiseExtension}},
		{"We've waived the late fee.", []Promise{PromiseWaiver}},
		{"You don't have to pay this month, and here is a discount.", []Promise{PromiseDiscount, PromiseWaiver}},
	}
	for _, tt := range tests {
		if got := promisesIn(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("promisesIn(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestCheckTone(t *testing.T) {
	tests := []struct {
		name string
		tone Tone
		text string
		base string
		bad  bool
	}{
		{"gentle and kind", ToneGentle, "Your payment didn't go through. You can update your card when it suits you.", "", false},
		{"gentle warns of suspension", ToneGentle, "Update your card or your account will be suspended.", "", true},
		{"gentle says overdue", ToneGentle, "Your invoice is overdue.", "", true},
		{"helpful repeats its own template's word", ToneHelpful, "To avoid losing access, you can cancel or update anytime.", "You can cancel anytime.", false},
		{"urgent and clear", ToneUrgent, "Action needed: please update your card today.", "", false},
		{"urgent says no worries", ToneUrgent, "Please update your card today. No worries if not!", "", true},
		{"urgent with a smiley", ToneUrgent, "Please update your card now :)", "", true},
		{"urgent says nothing urgent", ToneUrgent, "Please update your card.", "", true},
		{"final says it is the end", ToneFinal, "This is the final notice: your subscription will end today.", "", false},
		{"final only urgent", ToneFinal, "Please update your card today.", "", true},
		{"any step threatens collections", ToneFinal, "Final notice: we will send this to debt collectors now.", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkTone(tt.tone, tt.text, tt.base); (len(got) > 0) != tt.bad {
				t.Errorf("checkTone = %v, want rejected %v", got, tt.bad)
			}
		})
	}
}
