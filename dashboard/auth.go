package dashboard

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/recoup-hq/recoup"
)

// viewer is the signed-in user of a request and their session.
type viewer struct {
	User    recoup.User
	Session recoup.Session
}

// cookieName is the session cookie's name. With Secure cookies the __Host- prefix makes the
// browser refuse a cookie set by a subdomain or over http, or scoped to a path.
func (d *Dashboard) cookieName() string {
	if d.cfg.SecureCookies {
		return "__Host-recoup_session"
	}
	return "recoup_session"
}

// loginCSRFCookie carries the login form's token (double submit): there is no session yet to
// hold one, and without it a hostile page could sign a browser in to an attacker's account.
func (d *Dashboard) loginCSRFCookie() string {
	if d.cfg.SecureCookies {
		return "__Host-recoup_login"
	}
	return "recoup_login"
}

func (d *Dashboard) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: d.cfg.SecureCookies, SameSite: http.SameSiteStrictMode}
}

// hashSecret is how sessions and API tokens are kept in the store: a leaked database holds
// no usable secret. The secrets are random, so a plain SHA-256 suffices (no salt or stretching).
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// viewerOf returns the request's signed-in user, or an EUNAUTHORIZED error.
func (d *Dashboard) viewerOf(r *http.Request) (*viewer, error) {
	c, err := r.Cookie(d.cookieName())
	if err != nil || c.Value == "" {
		return nil, recoup.Errorf(recoup.EUNAUTHORIZED, "please sign in")
	}
	s, err := d.cfg.Access.Session(r.Context(), hashSecret(c.Value), d.now())
	if recoup.IsNotFound(err) {
		return nil, recoup.Errorf(recoup.EUNAUTHORIZED, "your session has ended; please sign in again")
	}
	if err != nil {
		return nil, err
	}
	if err := d.touch(r, &s); err != nil {
		return nil, err
	}
	u, err := d.cfg.Access.User(r.Context(), s.UserID)
	if recoup.IsNotFound(err) || (err == nil && u.Disabled) {
		return nil, recoup.Errorf(recoup.EUNAUTHORIZED, "this account is disabled")
	}
	if err != nil {
		return nil, err
	}
	return &viewer{User: u, Session: s}, nil
}

// checkCSRF compares the form's csrf field (or htmx's X-CSRF-Token header) with want.
func (d *Dashboard) checkCSRF(r *http.Request, want string) error {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
		got = r.PostFormValue("csrf")
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return &httpError{http.StatusForbidden, "the form has expired or did not come from this dashboard; reload the page and try again"}
	}
	return nil
}

// checkSameOrigin accepts a write only from a page of this same site: the browser's
// Sec-Fetch-Site says so, or else its Origin names this host. (The session cookie is
// SameSite=Strict already; this is the second lock.)
func checkSameOrigin(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		if site == "same-origin" {
			return nil
		}
	} else if o := r.Header.Get("Origin"); o != "" {
		if u, err := url.Parse(o); err == nil && u.Host == r.Host {
			return nil
		}
	}
	return &httpError{http.StatusForbidden, "this request did not come from this dashboard"}
}

func (d *Dashboard) loginPage(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	if u, err := d.viewerOf(r); err == nil && u != nil {
		http.Redirect(w, r, d.prefix+"/", http.StatusSeeOther)
		return nil
	}
	return d.showLogin(w, r, http.StatusOK, "")
}

func (d *Dashboard) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	token, err := NewSecret(24)
	if err != nil {
		return err
	}
	http.SetCookie(w, d.cookie(d.loginCSRFCookie(), token, 3600))
	d.render(w, r, status, "login", nil, map[string]any{"CSRF": token, "Message": msg})
	return nil
}

// login checks the form's credentials and starts a session. Failures say the same thing
// whatever was wrong, and are counted per address and per account.
func (d *Dashboard) login(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	now := d.now()
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	c, err := r.Cookie(d.loginCSRFCookie())
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		return d.showLogin(w, r, http.StatusForbidden, "The form has expired. Please try again.")
	}
	email := recoup.NormalizeEmail(r.PostFormValue("email"))
	ip := d.clientIP(r)
	// Each check allocates argon2id's memory (19 MiB): only a few run at once, and a login
	// that finds them all busy for a moment is refused before anything is recorded or hashed.
	release, ok := d.acquireCheck(r)
	if !ok {
		w.Header().Set("Retry-After", "5")
		return d.showLogin(w, r, http.StatusServiceUnavailable, "The sign-in service is busy. Please try again in a few seconds.")
	}
	if ok, wait := d.limiter.reserve(email, ip, now); !ok {
		release()
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+1)))
		return d.showLogin(w, r, http.StatusTooManyRequests, waitMessage(wait))
	}
	u, err := d.cfg.Access.UserByEmail(r.Context(), email)
	if err != nil && !recoup.IsNotFound(err) {
		release()
		return err
	}
	hash := u.PasswordHash
	if err != nil {
		hash = dummyHash
	}
	match := d.checkPassword(hash, r.PostFormValue("password"))
	release()
	if !match || err != nil || u.Disabled {
		// Logged without the email: it may be a customer's address typed in the wrong box.
		d.log.InfoContext(r.Context(), "dashboard login failed", "ip", ip)
		return d.showLogin(w, r, http.StatusUnauthorized, "Wrong email or password.")
	}
	d.limiter.succeeded(email, ip, now)
	secret, err := NewSecret(32)
	if err != nil {
		return err
	}
	csrf, err := NewSecret(24)
	if err != nil {
		return err
	}
	s := recoup.Session{IDHash: hashSecret(secret), UserID: u.ID, CSRFToken: csrf, CreatedAt: now, ExpiresAt: now.Add(d.cfg.IdleTimeout)}
	if err := d.cfg.Access.CreateSession(r.Context(), s); err != nil {
		return err
	}
	// Sessions of others that ended are swept here rather than by a timer: logins are rare.
	if _, err := d.cfg.Access.DeleteExpiredSessions(r.Context(), now); err != nil {
		d.log.WarnContext(r.Context(), "sweep expired sessions", "error", err.Error())
	}
	http.SetCookie(w, d.cookie(d.cookieName(), secret, int(d.cfg.SessionTTL/time.Second)))
	http.SetCookie(w, d.cookie(d.loginCSRFCookie(), "", -1))
	d.audit(r, &viewer{User: u}, "login", 0, "ok", "")
	http.Redirect(w, r, d.prefix+"/", http.StatusSeeOther)
	return nil
}

// touch slides the session's expiry on use: it ends IdleTimeout after its last use, and
// SessionTTL after the login at the latest. The store is written at most once a minute per
// session, not on every request.
func (d *Dashboard) touch(r *http.Request, s *recoup.Session) error {
	now := d.now()
	next := now.Add(d.cfg.IdleTimeout)
	if end := s.CreatedAt.Add(d.cfg.SessionTTL); !s.CreatedAt.IsZero() && next.After(end) {
		next = end
	}
	if next.Sub(s.ExpiresAt) < time.Minute {
		return nil
	}
	err := d.cfg.Access.ExtendSession(r.Context(), s.IDHash, next)
	if recoup.IsNotFound(err) {
		return recoup.Errorf(recoup.EUNAUTHORIZED, "your session has ended; please sign in again")
	}
	if err != nil {
		return err
	}
	s.ExpiresAt = next
	return nil
}

// logoutEverywhere ends every session of the user, this one included.
func (d *Dashboard) logoutEverywhere(w http.ResponseWriter, r *http.Request, u *viewer) error {
	n, err := d.cfg.Access.DeleteUserSessions(r.Context(), u.User.ID)
	if err != nil {
		return err
	}
	d.audit(r, u, "logout_everywhere", 0, "ok", fmt.Sprintf("%d sessions ended", n))
	http.SetCookie(w, d.cookie(d.cookieName(), "", -1))
	http.Redirect(w, r, d.prefix+"/login", http.StatusSeeOther)
	return nil
}

func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request, u *viewer) error {
	if err := d.cfg.Access.DeleteSession(r.Context(), u.Session.IDHash); err != nil {
		return err
	}
	http.SetCookie(w, d.cookie(d.cookieName(), "", -1))
	http.Redirect(w, r, d.prefix+"/login", http.StatusSeeOther)
	return nil
}

// audit records an action in the audit log. A failure to record is logged, not shown: the
// action itself has happened (or been refused) already.
func (d *Dashboard) audit(r *http.Request, u *viewer, action string, caseID int64, outcome, detail string) {
	e := &recoup.AuditEntry{At: d.now(), UserID: u.User.ID, UserEmail: u.User.Email, Action: action, CaseID: caseID, Outcome: outcome, Detail: detail}
	if err := d.cfg.Access.AppendAudit(r.Context(), e); err != nil {
		d.log.ErrorContext(r.Context(), "append audit entry", "action", action, "case", caseID, "error", err.Error())
	}
}

// HashSecret returns the form in which the store keeps a session or API token secret.
func HashSecret(secret string) string { return hashSecret(secret) }
