package recoup

import (
	"context"
	"strings"
	"time"
)

// Role is what a dashboard or API user may do. Roles are ordered: each includes the ones below.
type Role string

// The roles, from the most to the least powerful.
const (
	RoleAdmin    Role = "admin"    // everything, including users, the audit log and operations
	RoleOperator Role = "operator" // read, and act on cases
	RoleViewer   Role = "viewer"   // read only
)

// Roles lists the roles, weakest first.
var Roles = []Role{RoleViewer, RoleOperator, RoleAdmin}

var roleRank = map[Role]int{RoleViewer: 1, RoleOperator: 2, RoleAdmin: 3}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return roleRank[r] > 0 }

// Allows reports whether a user with role r may do what needs role need. An unknown role
// allows nothing.
func (r Role) Allows(need Role) bool {
	return r.Valid() && need.Valid() && roleRank[r] >= roleRank[need]
}

// User is a person who signs in to the dashboard or calls the API with a token.
type User struct {
	ID    int64  `json:"id"`
	Email string `json:"email"` // lower case; the login name
	Role  Role   `json:"role"`
	// PasswordHash is an encoded argon2id hash (PHC string format); never shown or logged.
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
}

// NormalizeEmail returns the form of an email address users are stored and found by.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Validate reports an EINVALID error if the user cannot be stored.
func (u *User) Validate() error {
	switch {
	case u.Email == "" || !strings.Contains(u.Email, "@"):
		return Errorf(EINVALID, "user email %q is not an address", u.Email)
	case u.Email != NormalizeEmail(u.Email):
		return Errorf(EINVALID, "user email must be stored normalized (lower case, trimmed)")
	case !u.Role.Valid():
		return Errorf(EINVALID, "user role %q is not one of admin, operator, viewer", u.Role)
	case u.PasswordHash == "":
		return Errorf(EINVALID, "user has no password hash")
	}
	return nil
}

// Session is a signed-in browser. The store keeps only a hash of the cookie's secret, so a
// copy of the database does not let anyone sign in.
type Session struct {
	IDHash    string    `json:"-"` // hex SHA-256 of the cookie value
	UserID    int64     `json:"user_id"`
	CSRFToken string    `json:"-"` // the per-session token every form carries
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// APIToken is a user's bearer token for the JSON API. Like sessions, only its hash is stored.
type APIToken struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	Name      string    `json:"name"`
	Hash      string    `json:"-"` // hex SHA-256 of the token
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when the token stops opening the API; zero: never.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Valid reports whether the token opens the API at now.
func (t APIToken) Valid(now time.Time) bool { return t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt) }

// AuditEntry records one operator action (or a refused attempt at one): who, when, what, on
// which case.
type AuditEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	UserID    int64     `json:"user_id"`
	UserEmail string    `json:"user_email"`
	Action    string    `json:"action"`            // retry_now, skip_to_final, mark_resolved, login, ...
	CaseID    int64     `json:"case_id,omitempty"` // 0 when not about a case
	Outcome   string    `json:"outcome"`           // ok, or why it was refused
	Detail    string    `json:"detail,omitempty"`
}

// MaxAuditLimit is the largest page of the audit log a listing returns.
const MaxAuditLimit = 500

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	CaseID int64 // 0: any
	Before int64 // keyset cursor: only IDs below this; 0: from the newest
	Limit  int   // 1..MaxAuditLimit; 0 means 50
}

// AccessStore keeps users, their sessions and API tokens, and the audit log. It is separate
// from Store so that the engine and the simulator, which never sign anyone in, need not carry
// it. The sqlite and postgres stores implement both; storetest.RunAccess specifies it.
type AccessStore interface {
	// CreateUser inserts u, setting its ID; ECONFLICT if the email is taken.
	CreateUser(ctx context.Context, u *User) error
	// UpdateUser saves u's role, password hash and disabled flag; ENOTFOUND if it does not exist.
	UpdateUser(ctx context.Context, u *User) error
	User(ctx context.Context, id int64) (User, error)
	// UserByEmail finds a user by normalized email; ENOTFOUND if there is none.
	UserByEmail(ctx context.Context, email string) (User, error)
	Users(ctx context.Context) ([]User, error)

	CreateSession(ctx context.Context, s Session) error
	// Session returns the session unless it is missing or expired at now (ENOTFOUND).
	Session(ctx context.Context, idHash string, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteExpiredSessions removes the sessions expired at now and says how many.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
	// ExtendSession moves a session's expiry (the idle timeout slides it); ENOTFOUND if the
	// session is gone.
	ExtendSession(ctx context.Context, idHash string, expires time.Time) error
	// DeleteUserSessions signs a user out everywhere and says how many sessions ended.
	DeleteUserSessions(ctx context.Context, userID int64) (int, error)

	// CreateAPIToken inserts t, setting its ID; ECONFLICT if the hash exists.
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// APITokenByHash returns the token, expired or not; ENOTFOUND if there is none.
	APITokenByHash(ctx context.Context, hash string) (APIToken, error)
	// APITokens lists a user's tokens, oldest first.
	APITokens(ctx context.Context, userID int64) ([]APIToken, error)
	// DeleteAPIToken revokes a token; ENOTFOUND if there is none.
	DeleteAPIToken(ctx context.Context, id int64) error

	// AppendAudit inserts e, setting its ID.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}
