package web

import (
	"net/http"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/notify/sms"
)

// POST /webhooks/twilio receives the texts people send to the merchant's Twilio number. A text
// that is an opt-out keyword (STOP, UNSUBSCRIBE, ...) stores the number's refusal, an opt-in
// (START, YES, UNSTOP) its consent; the engine checks the stored word before every text, and
// it outranks the merchant's metadata. Twilio's own Advanced Opt-Out answers the person and
// blocks the number on its side too; this endpoint keeps recoup from trying. Every request
// must carry Twilio's X-Twilio-Signature over the public URL Twilio calls and the parameters;
// nothing else is read, and the phone number is never logged.

// SMSInbound enables POST /webhooks/twilio.
type SMSInbound struct {
	// AuthToken is the Twilio account's auth token, which signs Twilio's requests.
	AuthToken string
	// URL is the address configured in Twilio for incoming messages, exactly (the signature
	// covers it): the public base URL + "/webhooks/twilio".
	URL string
}

// emptyTwiML answers Twilio with no reply of recoup's own.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

func (s *Server) smsRoutes(mux *http.ServeMux) {
	if s.links.SMS == nil {
		return
	}
	mux.Handle("POST /webhooks/twilio", s.handle(s.twilioInbound))
}

func (s *Server) twilioInbound(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "twilio webhook: the body is not a form")
	}
	in := s.links.SMS
	if !sms.ValidSignature(in.AuthToken, in.URL, r.PostForm, r.Header.Get("X-Twilio-Signature")) {
		return recoup.Errorf(recoup.EUNAUTHORIZED, "twilio webhook: missing or wrong X-Twilio-Signature")
	}
	from, kw := r.PostForm.Get("From"), sms.Keyword(r.PostForm.Get("Body"))
	if kw != "" && from != "" {
		now := s.now()
		err := s.store.Tx(r.Context(), func(tx recoup.Tx) error {
			sc, ok := tx.(recoup.SMSConsents)
			if !ok {
				return recoup.Errorf(recoup.EINTERNAL, "twilio webhook: the store keeps no SMS consent")
			}
			c := recoup.SMSConsent{Phone: from, Consented: kw == "start", Source: recoup.ConsentStop, UpdatedAt: now}
			if c.Consented {
				c.Source = recoup.ConsentStart
			}
			return sc.PutSMSConsent(&c)
		})
		if err != nil {
			return err
		}
		s.logger.InfoContext(r.Context(), "sms consent changed by text", "keyword", kw)
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write([]byte(emptyTwiML))
	return nil
}
