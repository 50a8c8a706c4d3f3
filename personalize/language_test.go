package personalize

import "testing"

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
