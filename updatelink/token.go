// Package updatelink makes and checks the links recoup puts in customer messages: the one-click
// card update link (/u/<token>) and the unsubscribe link (/unsubscribe/<token>). A token names
// only a case (or a notice), the link's purpose and an expiry, sealed with AES-256-GCM under a
// key derived from the link secret: no personal data travels in the URL, the token alone is
// the credential, and it is opaque: whoever holds it cannot read which case, nor when it
// expires, nor forge or alter one (version 2, below). Tokens of version 1, which were signed
// with HMAC-SHA256 but readable, are still accepted until they expire.
//
// What a token does not prove, the server checks against the store when it is used: a token
// for a case that is no longer collectible (recovered or closed) is refused as a replay, since
// the link's job is done. Within its lifetime, an update token for a case still open may be
// opened again: a customer who closed the payment page must be able to come back. See
// docs/messages.md.
package updatelink

import (
	"crypto/aes"
	"crypto/cipher"
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

// The token formats, before URL-safe base64 without padding. Version 2 (issued):
//
//	byte 0       version (2) in the low half, the key id (0-15) in the high half;
//	             authenticated but not encrypted
//	bytes 1-12   GCM nonce, random
//	bytes 13-29  sealed: purpose (1), case or notice id (8, big endian), expiry (8, Unix seconds)
//	bytes 30-45  GCM tag
//
// 46 bytes, 62 characters. Version 1 (accepted until expiry, no longer issued): version (1) and key id,
// purpose (1), id (8), expiry (8), nonce (8), HMAC-SHA256 of those truncated to 16 bytes: 42
// bytes, 56 characters.
const (
	version1  = 1
	body1Len  = 1 + 1 + 8 + 8 + 8 // version, purpose, case id, expiry, nonce
	macLen    = 16                // HMAC-SHA256 truncated to 128 bits: unforgeable, shorter URLs
	token1Len = body1Len + macLen

	version2  = 2
	nonce2Len = 12
	plain2Len = 1 + 8 + 8 // purpose, id, expiry
	token2Len = 1 + nonce2Len + plain2Len + 16
)

// Claims is what a valid token says.
type Claims struct {
	Purpose Purpose
	CaseID  int64 // the case; for the Notice purposes, the notice's id
	Expires time.Time
	Nonce   uint64 // random, from the token: two tokens for the same link differ
}

// Signer issues tokens with its current key and verifies them with any of its keys. Each token
// names its key (an id 0-15 in the high half of its version byte, authenticated with the rest;
// id 0 is the only key of tokens made before keys had ids), so the secret can be rolled: a new
// key signs, the old ones still verify the links already sent until they expire.
type Signer struct {
	keys    map[byte]signerKey
	current byte
	rand    io.Reader
}

// signerKey is what one secret derives: the HMAC key of version 1 and the AES-256-GCM of
// version 2.
type signerKey struct {
	mac  []byte
	aead cipher.AEAD
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

// NewKeyedSigner returns a Signer that issues with keys[0] and verifies with all of them. Keys
// derived per use keep these tokens from ever verifying as anything else made with the same
// secret.
func NewKeyedSigner(keys []Key) (*Signer, error) {
	if len(keys) == 0 {
		return nil, recoup.Errorf(recoup.EINVALID, "updatelink: no link signing secret")
	}
	s := &Signer{keys: map[byte]signerKey{}, current: byte(keys[0].ID), rand: rand.Reader}
	for _, k := range keys {
		switch _, dup := s.keys[byte(k.ID)]; {
		case len(k.Secret) < MinSecretBytes:
			return nil, recoup.Errorf(recoup.EINVALID, "updatelink: the link signing secret must be at least %d bytes", MinSecretBytes)
		case k.ID < 0 || k.ID > MaxKeyID:
			return nil, recoup.Errorf(recoup.EINVALID, "updatelink: key id %d is not 0-%d", k.ID, MaxKeyID)
		case dup:
			return nil, recoup.Errorf(recoup.EINVALID, "updatelink: key id %d appears twice", k.ID)
		}
		derive := func(label string) []byte {
			h := hmac.New(sha256.New, k.Secret)
			h.Write([]byte(label))
			return h.Sum(nil)
		}
		block, err := aes.NewCipher(derive("recoup customer link v2 AES-256-GCM"))
		if err != nil {
			return nil, recoup.Errorf(recoup.EINTERNAL, "updatelink: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, recoup.Errorf(recoup.EINTERNAL, "updatelink: %w", err)
		}
		s.keys[byte(k.ID)] = signerKey{mac: derive("recoup customer link v1"), aead: aead}
	}
	return s, nil
}

// Issue returns a token for purpose p on the case, valid until expires.
func (s *Signer) Issue(p Purpose, caseID int64, expires time.Time) (string, error) {
	if caseID <= 0 {
		return "", recoup.Errorf(recoup.EINVALID, "updatelink: no case")
	}
	b := make([]byte, 1+nonce2Len, token2Len)
	b[0] = version2 | s.current<<4
	if _, err := io.ReadFull(s.rand, b[1:1+nonce2Len]); err != nil {
		return "", recoup.Errorf(recoup.EINTERNAL, "updatelink: nonce: %w", err)
	}
	var plain [plain2Len]byte
	plain[0] = byte(p)
	binary.BigEndian.PutUint64(plain[1:], uint64(caseID))
	binary.BigEndian.PutUint64(plain[9:], uint64(expires.Unix()))
	b = s.keys[s.current].aead.Seal(b, b[1:1+nonce2Len], plain[:], b[:1])
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func mac(key, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(body)
	return h.Sum(nil)[:macLen]
}

// decode reads a token's bytes strictly: only the URL-safe alphabet, no padding, no white
// space (the standard decoder skips CR and LF), and no unused bits set, so that one token has
// exactly one spelling.
func decode(token string) ([]byte, bool) {
	if len(token) != base64.RawURLEncoding.EncodedLen(token1Len) && len(token) != base64.RawURLEncoding.EncodedLen(token2Len) {
		return nil, false
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, false
		}
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	return b, err == nil
}

// Verify checks a token for purpose p at now. Its errors wrap ErrInvalid or ErrExpired and
// carry recoup.EUNAUTHORIZED.
func (s *Signer) Verify(token string, p Purpose, now time.Time) (Claims, error) {
	invalid := recoup.Errorf(recoup.EUNAUTHORIZED, "updatelink: %w", ErrInvalid)
	b, ok := decode(token)
	if !ok {
		return Claims{}, invalid
	}
	key, known := s.keys[b[0]>>4]
	if !known {
		return Claims{}, invalid
	}
	var c Claims
	switch {
	case len(b) == token2Len && b[0]&0x0f == version2:
		nonce := b[1 : 1+nonce2Len]
		plain, err := key.aead.Open(nil, nonce, b[1+nonce2Len:], b[:1])
		if err != nil || len(plain) != plain2Len {
			return Claims{}, invalid
		}
		c = Claims{
			Purpose: Purpose(plain[0]),
			CaseID:  int64(binary.BigEndian.Uint64(plain[1:])),
			Expires: time.Unix(int64(binary.BigEndian.Uint64(plain[9:])), 0).UTC(),
			Nonce:   binary.BigEndian.Uint64(nonce),
		}
	case len(b) == token1Len && b[0]&0x0f == version1:
		if !hmac.Equal(b[body1Len:], mac(key.mac, b[:body1Len])) {
			return Claims{}, invalid
		}
		c = Claims{
			Purpose: Purpose(b[1]),
			CaseID:  int64(binary.BigEndian.Uint64(b[2:])),
			Expires: time.Unix(int64(binary.BigEndian.Uint64(b[10:])), 0).UTC(),
			Nonce:   binary.BigEndian.Uint64(b[18:]),
		}
	default:
		return Claims{}, invalid
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
