package updatelink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Form tokens protect the forms of the customer link pages (the offers of the card update
// page) against cross-site request forgery. There is no session to bind them to: a form token
// is bound to the link token the page was served for, to the form's action and to the time the
// page was served. Only recoup can make one (an HMAC under a key derived for forms, so it is
// never a valid link token), a page served for another link does not carry one that fits, and
// it expires after FormTTL, so a form copied out of an old page stops working.

// FormTTL is how long a served page's forms may be posted.
const FormTTL = 2 * time.Hour

const formMacLen = 16

func formMAC(key []byte, linkToken, action string, issued uint64) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("recoup link form v1\x00"))
	h.Write([]byte(linkToken))
	h.Write([]byte{0})
	h.Write([]byte(action))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], issued)
	h.Write(b[:])
	return h.Sum(nil)[:formMacLen]
}

// FormToken returns the token that a form for action, on the page of linkToken served at now,
// carries in a hidden field.
func (s *Signer) FormToken(linkToken, action string, now time.Time) string {
	issued := uint64(now.Unix())
	b := binary.BigEndian.AppendUint64(nil, issued)
	b = append(b, formMAC(s.keys[s.current].mac, linkToken, action, issued)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CheckFormToken reports whether token is a form token for action on the page of linkToken,
// served less than FormTTL before now (and not in the future, beyond a minute of clock skew).
func (s *Signer) CheckFormToken(linkToken, action, token string, now time.Time) bool {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 8+formMacLen {
		return false
	}
	issued := binary.BigEndian.Uint64(b)
	at := time.Unix(int64(issued), 0)
	if int64(issued) < 0 || !now.Before(at.Add(FormTTL)) || at.After(now.Add(time.Minute)) {
		return false
	}
	// Any key the signer holds: a form served just before the secret was rolled still posts.
	for _, k := range s.keys {
		if hmac.Equal(b[8:], formMAC(k.mac, linkToken, action, issued)) {
			return true
		}
	}
	return false
}
