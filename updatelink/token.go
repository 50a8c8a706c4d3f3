// Package updatelink makes and checks the links recoup puts in customer messages: the one-click
// card update link (/u/<token>) and the unsubscribe link (/unsubscribe/<token>). A token is
// signed with HMAC-SHA256 and names only a case, the link's purpose, an expiry and a random
// nonce: no personal data travels in the URL, and the token alone is the credential.
//
// What a token does not prove, the server checks against the store when it is used: a token
// for a case that is no longer collectible (recovered or closed) is refused as a replay, since
// the link's job is done. Within its lifetime, an update token for a case still open may be
// opened again: a customer who closed the payment page must be able to come back. See
// docs/messages.md.
package updatelink

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

// Purpose is what a token may be used for; a token for one purpose is refused for another.
type Purpose byte

// Purposes.
const (
	Update      Purpose = 'u' // open the card update (or authentication) page
	Unsubscribe Purpose = 'x' // stop the customer's emails
	// The same two for a notice (a message outside any case: a card expiring, an invoice
	// reminder): the token's id is then the notice's, not a case's.
	NoticeUpdate      Purpose = 'n'
	NoticeUnsubscribe Purpose = 'm'
)

func (p Purpose) String() string {
	switch p {
	case Update:
		return "update"
	case Unsubscribe:
		return "unsubscribe"
	case NoticeUpdate:
		return "notice update"
	case NoticeUnsubscribe:
		return "notice unsubscribe"
	}
	return fmt.Sprintf("purpose(%d)", byte(p))
}

// Token errors. Both carry recoup.EUNAUTHORIZED when wrapped by Verify.
var (
	ErrInvalid = errors.New("the link is not valid") // malformed, tampered, wrong purpose or key
	ErrExpired = errors.New("the link has expired")  // well signed, past its expiry
)

// MinSecretBytes is the shortest signing secret accepted.
const MinSecretBytes = 32

const (
	version  = 1
	bodyLen  = 1 + 1 + 8 + 8 + 8 // version, purpose, case id, expiry, nonce
	macLen   = 16                // HMAC-SHA256 truncated to 128 bits: unforgeable, shorter URLs
	tokenLen = bodyLen + macLen
)

// Claims is what a valid token says.
type Claims struct {
	Purpose Purpose
	CaseID  int64 // the case; for the Notice purposes, the notice's id
	Expires time.Time
	Nonce   uint64
}

// Signer issues tokens with its current key and verifies them with any of its keys. Each token
// names its key (an id 0-15 in the high half of its version byte; id 0 is the only key of
// tokens made before keys had ids), so the secret can be rolled: a new key signs, the old ones
// still verify the links already sent until they expire.
type Signer struct {
	keys    map[byte][]byte
	current byte
	rand    io.Reader
}

// Key is one link signing secret and its id (0-15).
type Key struct {
	ID     int
	Secret []byte
}

// MaxKeyID is the largest key id a token can name.
const MaxKeyID = 15

// NewSigner returns a Signer with the one key secret (id 0, at least MinSecretBytes).
func NewSigner(secret []byte) (*Signer, error) { return NewKeyedSigner([]Key{{0, secret}}) }

// NewKeyedSigner returns a Signer that issues with keys[0] and verifies with all of them. A key
// derived per use keeps these tokens from ever verifying as anything else signed with the same
// secret.
func NewKeyedSigner(keys []Key) (*Signer, error) {
	if len(keys) == 0 {
		return nil, recoup.Errorf(recoup.EINVALID, "updatelink: no link signing secret")
	}
	s := &Signer{keys: map[byte][]byte{}, current: byte(keys[0].ID), rand: rand.Reader}
	for _, k := range keys {
		switch _, dup := s.keys[byte(k.ID)]; {
		case len(k.Secret) < MinSecretBytes:
			return nil, recoup.Errorf(recoup.EINVALID, "updatelink: the link signing secret must be at least %d bytes", MinSecretBytes)
		case k.ID < 0 || k.ID > MaxKeyID:
			return nil, recoup.Errorf(recoup.EINVALID, "updatelink: key id %d is not 0-%d", k.ID, MaxKeyID)
		case dup:
			return nil, recoup.Errorf(recoup.EINVALID, "updatelink: key id %d appears twice", k.ID)
		}
		h := hmac.New(sha256.New, k.Secret)
		h.Write([]byte("recoup customer link v1"))
		s.keys[byte(k.ID)] = h.Sum(nil)
	}
	return s, nil
}

// Issue returns a token for purpose p on the case, valid until expires.
func (s *Signer) Issue(p Purpose, caseID int64, expires time.Time) (string, error) {
	if caseID <= 0 {
		return "", recoup.Errorf(recoup.EINVALID, "updatelink: no case")
	}
	b := make([]byte, bodyLen, tokenLen)
	b[0], b[1] = version|s.current<<4, byte(p)
	binary.BigEndian.PutUint64(b[2:], uint64(caseID))
	binary.BigEndian.PutUint64(b[10:], uint64(expires.Unix()))
	if _, err := io.ReadFull(s.rand, b[18:26]); err != nil {
		return "", recoup.Errorf(recoup.EINTERNAL, "updatelink: nonce: %w", err)
	}
	b = append(b, mac(s.keys[s.current], b)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func mac(key, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(body)
	return h.Sum(nil)[:macLen]
}

// Verify checks a token for purpose p at now. Its errors wrap ErrInvalid or ErrExpired and
// carry recoup.EUNAUTHORIZED.
func (s *Signer) Verify(token string, p Purpose, now time.Time) (Claims, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != tokenLen || b[0]&0x0f != version {
		return Claims{}, recoup.Errorf(recoup.EUNAUTHORIZED, "updatelink: %w", ErrInvalid)
	}
	key, ok := s.keys[b[0]>>4]
	if !ok || !hmac.Equal(b[bodyLen:], mac(key, b[:bodyLen])) {
		return Claims{}, recoup.Errorf(recoup.EUNAUTHORIZED, "updatelink: %w", ErrInvalid)
	}
	c := Claims{
		Purpose: Purpose(b[1]),
		CaseID:  int64(binary.BigEndian.Uint64(b[2:])),
		Expires: time.Unix(int64(binary.BigEndian.Uint64(b[10:])), 0).UTC(),
		Nonce:   binary.BigEndian.Uint64(b[18:]),
	}
	if c.Purpose != p || c.CaseID <= 0 {
		return Claims{}, recoup.Errorf(recoup.EUNAUTHORIZED, "updatelink: %w (a %s link used for %s)", ErrInvalid, c.Purpose, p)
	}
	if !now.Before(c.Expires) {
		return c, recoup.Errorf(recoup.EUNAUTHORIZED, "updatelink: %w", ErrExpired)
	}
	return c, nil
}

// Default lifetimes of the links.
const (
	// DefaultUpdateTTL outlives a campaign (up to a month) with room to spare: a link in the
	// first message still works when the customer gets to it.
	DefaultUpdateTTL = 45 * 24 * time.Hour
	// DefaultUnsubscribeTTL is long: an unsubscribe link must keep working (RFC 8058 clients
	// may use it from an old message).
	DefaultUnsubscribeTTL = 365 * 24 * time.Hour
)

// Links builds the public URLs of a case's links.
type Links struct {
	base           string
	signer         *Signer
	updateTTL      time.Duration
	unsubscribeTTL time.Duration
}

// NewLinks returns link builders under the public base URL (https, or http on a loopback host
// for tests). Zero TTLs take the defaults.
func NewLinks(base string, signer *Signer, updateTTL, unsubscribeTTL time.Duration) (*Links, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, recoup.Errorf(recoup.EINVALID, "updatelink: public base URL %q is not an absolute http(s) URL", base)
	}
	if signer == nil {
		return nil, recoup.Errorf(recoup.EINVALID, "updatelink: no signer")
	}
	if updateTTL <= 0 {
		updateTTL = DefaultUpdateTTL
	}
	if unsubscribeTTL <= 0 {
		unsubscribeTTL = DefaultUnsubscribeTTL
	}
	return &Links{base: strings.TrimRight(base, "/"), signer: signer, updateTTL: updateTTL, unsubscribeTTL: unsubscribeTTL}, nil
}

// Base is the public base URL, without a trailing slash.
func (l *Links) Base() string { return l.base }

// Signer returns the signer, for the server that checks the tokens.
func (l *Links) Signer() *Signer { return l.signer }

// UpdateURL is the card update link of the case, issued at now.
func (l *Links) UpdateURL(caseID int64, now time.Time) (string, error) {
	t, err := l.signer.Issue(Update, caseID, now.Add(l.updateTTL))
	if err != nil {
		return "", err
	}
	return l.base + "/u/" + t, nil
}

// UnsubscribeURL is the unsubscribe link of the case's customer, issued at now.
func (l *Links) UnsubscribeURL(caseID int64, now time.Time) (string, error) {
	t, err := l.signer.Issue(Unsubscribe, caseID, now.Add(l.unsubscribeTTL))
	if err != nil {
		return "", err
	}
	return l.base + "/unsubscribe/" + t, nil
}

// NoticeUpdateURL is the link of a notice (a message outside any case) to update the card or
// pay the invoice, issued at now: /n/<token>, naming only the notice.
func (l *Links) NoticeUpdateURL(noticeID int64, now time.Time) (string, error) {
	t, err := l.signer.Issue(NoticeUpdate, noticeID, now.Add(l.updateTTL))
	if err != nil {
		return "", err
	}
	return l.base + "/n/" + t, nil
}

// NoticeUnsubscribeURL is the unsubscribe link of a notice's customer, issued at now.
func (l *Links) NoticeUnsubscribeURL(noticeID int64, now time.Time) (string, error) {
	t, err := l.signer.Issue(NoticeUnsubscribe, noticeID, now.Add(l.unsubscribeTTL))
	if err != nil {
		return "", err
	}
	return l.base + "/unsubscribe/n/" + t, nil
}
