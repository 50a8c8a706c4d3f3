package sms

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
)

// Twilio signs each webhook it sends (an inbound text here) with the account's auth token:
// X-Twilio-Signature is the base64 HMAC-SHA1 of the full URL Twilio called followed by every
// POST parameter, sorted by name, as name then value, concatenated.
// https://www.twilio.com/docs/usage/webhooks/webhooks-security

// Signature is the X-Twilio-Signature of a POST of form to fullURL.
func Signature(authToken, fullURL string, form url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range form {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range form[k] {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	h := hmac.New(sha1.New, []byte(authToken))
	h.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// ValidSignature reports whether sig is Twilio's signature of the POST of form to fullURL.
func ValidSignature(authToken, fullURL string, form url.Values, sig string) bool {
	if authToken == "" || sig == "" {
		return false
	}
	return hmac.Equal([]byte(Signature(authToken, fullURL, form)), []byte(sig))
}

// Opt-out and opt-in keywords, as Twilio's default Advanced Opt-Out handles them: a text that
// is exactly one of them (any case, spaces around) changes the number's consent.
var (
	stopWords  = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
	startWords = []string{"START", "YES", "UNSTOP"}
)

// Keyword classifies an inbound text: "stop" (an opt-out), "start" (an opt-in), or "".
func Keyword(body string) string {
	w := strings.ToUpper(strings.Trim(strings.TrimSpace(body), ".!"))
	switch {
	case slices.Contains(stopWords, w):
		return "stop"
	case slices.Contains(startWords, w):
		return "start"
	}
	return ""
}
