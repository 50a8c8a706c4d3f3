package updatelink

import (
	"regexp"
	"strings"
)

// A message is stored with its links redacted: a live card update link opens the customer's
// Stripe portal and an unsubscribe link stops their mail, so whoever reads the stored message
// (a dashboard viewer, an API token, a database backup) must not be able to use them. The
// marker keeps what the audit needs: which link the message carried. When it was sent is the
// message's, and whether it was opened is the case timeline's and the message's click count.

// Markers stand for the links in a stored message.
const (
	UpdateMarker      = "[card update link]"
	UnsubscribeMarker = "[unsubscribe link]"
)

// linkPattern finds the URLs of recoup's customer links: an absolute URL whose path ends in
// /u/, /n/, /unsubscribe/ or /unsubscribe/n/ and a token. A URL ends at white space, a quote
// or an angle bracket, in text and in HTML attributes alike. Tokens are URL-safe base64,
// 16 characters or more in every format recoup has issued.
var linkPattern = regexp.MustCompile(`https?://[^\s"'<>]*/(?:u|n|unsubscribe|unsubscribe/n)/[A-Za-z0-9_-]{16,}`)

// Redact replaces each customer link in s with the marker of its kind.
func Redact(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return linkPattern.ReplaceAllStringFunc(s, func(u string) string {
		if strings.Contains(u, "/unsubscribe/") {
			return UnsubscribeMarker
		}
		return UpdateMarker
	})
}

// Restore puts live links back in place of the markers, for a stored message sent again.
func Restore(s, update, unsubscribe string) string {
	return strings.NewReplacer(UpdateMarker, update, UnsubscribeMarker, unsubscribe).Replace(s)
}

// Redacted reports whether s holds a marker: a stored message that needs Restore before it
// is sent again.
func Redacted(s string) bool {
	return strings.Contains(s, UpdateMarker) || strings.Contains(s, UnsubscribeMarker)
}
