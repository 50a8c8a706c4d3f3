package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

var _ recoup.AccessStore = (*Store)(nil)

const userColumns = `id, email, role, password_hash, disabled, created_at`

func scanUser(sc scanner) (recoup.User, error) {
	var u recoup.User
	var created *time.Time
	err := sc.Scan(&u.ID, &u.Email, &u.Role, &u.PasswordHash, &u.Disabled, &created)
	u.CreatedAt = timeOf(created)
	return u, err
}

// wrapNil is wrap for an error that may be nil.
func wrapNil(err error, what string) error {
	if err == nil {
		return nil
	}
	return wrap(err, "%s", what)
}

func (s *Store) CreateUser(ctx context.Context, u *recoup.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	err := s.db.pool.QueryRow(ctx, `INSERT INTO users (email, role, password_hash, disabled, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, u.Email, string(u.Role), u.PasswordHash, u.Disabled, timeArg(u.CreatedAt)).Scan(&u.ID)
	if err != nil {
		if codeOf(err) == recoup.ECONFLICT {
			return recoup.Errorf(recoup.ECONFLICT, "create user: a user with this email exists")
		}
		return wrap(err, "create user")
	}
	return nil
}

func (s *Store) UpdateUser(ctx context.Context, u *recoup.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	tag, err := s.db.pool.Exec(ctx, `UPDATE users SET role = $1, password_hash = $2, disabled = $3 WHERE id = $4`,
		string(u.Role), u.PasswordHash, u.Disabled, u.ID)
	if err != nil {
		return wrap(err, "update user %d", u.ID)
	}
	if tag.RowsAffected() == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "update user %d: no such user", u.ID)
	}
	return nil
}

func (s *Store) user(ctx context.Context, where string, arg any) (recoup.User, error) {
	u, err := scanUser(s.db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.User{}, recoup.Errorf(recoup.ENOTFOUND, "no such user")
	}
	if err != nil {
		return recoup.User{}, wrap(err, "read user")
	}
	return u, nil
}

func (s *Store) User(ctx context.Context, id int64) (recoup.User, error) {
	return s.user(ctx, `id = $1`, id)
}

func (s *Store) UserByEmail(ctx context.Context, email string) (recoup.User, error) {
	return s.user(ctx, `email = $1`, recoup.NormalizeEmail(email))
}

func (s *Store) Users(ctx context.Context) ([]recoup.User, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY email`)
	if err != nil {
		return nil, wrap(err, "list users")
	}
	users, err := collect(rows, scanUser)
	return users, wrapNil(err, "list users")
}

func (s *Store) CreateSession(ctx context.Context, ss recoup.Session) error {
	if ss.IDHash == "" || ss.UserID == 0 || ss.CSRFToken == "" || ss.ExpiresAt.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "create session: id, user, CSRF token and expiry are required")
	}
	_, err := s.db.pool.Exec(ctx, `INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, ss.IDHash, ss.UserID, ss.CSRFToken, timeArg(ss.CreatedAt), ss.ExpiresAt)
	return wrapNil(err, "create session")
}

func (s *Store) Session(ctx context.Context, idHash string, now time.Time) (recoup.Session, error) {
	ss := recoup.Session{IDHash: idHash}
	var created *time.Time
	err := s.db.pool.QueryRow(ctx, `SELECT user_id, csrf_token, created_at, expires_at FROM sessions
		WHERE id_hash = $1 AND expires_at > $2`, idHash, now).Scan(&ss.UserID, &ss.CSRFToken, &created, &ss.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.Session{}, recoup.Errorf(recoup.ENOTFOUND, "no such session")
	}
	if err != nil {
		return recoup.Session{}, wrap(err, "read session")
	}
	ss.CreatedAt, ss.ExpiresAt = timeOf(created), ss.ExpiresAt.UTC()
	return ss, nil
}

func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.db.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	return wrapNil(err, "delete session")
}

func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.db.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, wrap(err, "delete expired sessions")
	}
	return int(tag.RowsAffected()), nil
}

func (s *Store) CreateAPIToken(ctx context.Context, t *recoup.APIToken) error {
	if t.Hash == "" || t.UserID == 0 {
		return recoup.Errorf(recoup.EINVALID, "create API token: hash and user are required")
	}
	err := s.db.pool.QueryRow(ctx, `INSERT INTO api_tokens (user_id, name, hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, t.UserID, t.Name, t.Hash, timeArg(t.CreatedAt), timeArg(t.ExpiresAt)).Scan(&t.ID)
	return wrapNil(err, "create API token")
}

func (s *Store) APITokenByHash(ctx context.Context, hash string) (recoup.APIToken, error) {
	t := recoup.APIToken{Hash: hash}
	var created, expires *time.Time
	err := s.db.pool.QueryRow(ctx, `SELECT id, user_id, name, created_at, expires_at FROM api_tokens WHERE hash = $1`, hash).
		Scan(&t.ID, &t.UserID, &t.Name, &created, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.APIToken{}, recoup.Errorf(recoup.ENOTFOUND, "no such API token")
	}
	if err != nil {
		return recoup.APIToken{}, wrap(err, "read API token")
	}
	t.CreatedAt, t.ExpiresAt = timeOf(created), timeOf(expires)
	return t, nil
}

func (s *Store) AppendAudit(ctx context.Context, e *recoup.AuditEntry) error {
	if e.Action == "" {
		return recoup.Errorf(recoup.EINVALID, "audit entry has no action")
	}
	err := s.db.pool.QueryRow(ctx, `INSERT INTO audit (at, user_id, user_email, action, case_id, outcome, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, timeArg(e.At), e.UserID, e.UserEmail, e.Action, e.CaseID, e.Outcome, e.Detail).Scan(&e.ID)
	return wrapNil(err, "append audit entry")
}

func (s *Store) Audit(ctx context.Context, f recoup.AuditFilter) ([]recoup.AuditEntry, error) {
	limit := f.Limit
	switch {
	case limit < 0 || limit > recoup.MaxAuditLimit:
		return nil, recoup.Errorf(recoup.EINVALID, "audit: limit %d is not between 1 and %d", limit, recoup.MaxAuditLimit)
	case limit == 0:
		limit = 50
	}
	query := `SELECT id, at, user_id, user_email, action, case_id, outcome, detail FROM audit WHERE true`
	var args []any
	if f.CaseID != 0 {
		args = append(args, f.CaseID)
		query += fmt.Sprintf(` AND case_id = $%d`, len(args))
	}
	if f.Before != 0 {
		args = append(args, f.Before)
		query += fmt.Sprintf(` AND id < $%d`, len(args))
	}
	args = append(args, limit)
	rows, err := s.db.pool.Query(ctx, query+fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, wrap(err, "read audit log")
	}
	out, err := collect(rows, func(r scanner) (recoup.AuditEntry, error) {
		var e recoup.AuditEntry
		var at *time.Time
		err := r.Scan(&e.ID, &at, &e.UserID, &e.UserEmail, &e.Action, &e.CaseID, &e.Outcome, &e.Detail)
		e.At = timeOf(at)
		return e, err
	})
	return out, wrapNil(err, "read audit log")
}
