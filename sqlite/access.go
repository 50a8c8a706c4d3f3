package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/recoup-hq/recoup"
)

var _ recoup.AccessStore = (*Store)(nil)

// writer runs single-statement writes outside a transaction on the writer connection.
func (s *Store) writer() querier {
	if s.db.batch != nil {
		return flushingPool{b: s.db.batch, c: s.db.ws}
	}
	return cachedPool{c: s.db.ws}
}

const userColumns = `id, email, role, password_hash, disabled, created_at`

func scanUser(sc scanner) (recoup.User, error) {
	var u recoup.User
	var created sql.NullInt64
	err := sc.Scan(&u.ID, &u.Email, &u.Role, &u.PasswordHash, &u.Disabled, &created)
	u.CreatedAt = timeOf(created)
	return u, err
}

func (s *Store) CreateUser(ctx context.Context, u *recoup.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	err := s.writer().QueryRowContext(ctx, `INSERT INTO users (email, role, password_hash, disabled, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, u.Email, string(u.Role), u.PasswordHash, u.Disabled, timeArg(u.CreatedAt)).Scan(&u.ID)
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
	res, err := s.writer().ExecContext(ctx, `UPDATE users SET role = ?, password_hash = ?, disabled = ? WHERE id = ?`,
		string(u.Role), u.PasswordHash, u.Disabled, u.ID)
	if err != nil {
		return wrap(err, "update user %d", u.ID)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "update user %d: no such user", u.ID)
	}
	return nil
}

func (s *Store) user(ctx context.Context, where string, arg any) (recoup.User, error) {
	u, err := scanUser(s.db.reader().QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return recoup.User{}, recoup.Errorf(recoup.ENOTFOUND, "no such user")
	}
	if err != nil {
		return recoup.User{}, wrap(err, "read user")
	}
	return u, nil
}

func (s *Store) User(ctx context.Context, id int64) (recoup.User, error) {
	return s.user(ctx, `id = ?`, id)
}

func (s *Store) UserByEmail(ctx context.Context, email string) (recoup.User, error) {
	return s.user(ctx, `email = ?`, recoup.NormalizeEmail(email))
}

func (s *Store) Users(ctx context.Context) ([]recoup.User, error) {
	rows, err := s.db.reader().QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY email`)
	if err != nil {
		return nil, wrap(err, "list users")
	}
	defer rows.Close()
	users := []recoup.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, wrap(err, "list users")
		}
		users = append(users, u)
	}
	return users, wrap2(rows.Err(), "list users")
}

// wrap2 is wrap for an error that may be nil.
func wrap2(err error, what string) error {
	if err == nil {
		return nil
	}
	return wrap(err, "%s", what)
}

func (s *Store) CreateSession(ctx context.Context, ss recoup.Session) error {
	if ss.IDHash == "" || ss.UserID == 0 || ss.CSRFToken == "" || ss.ExpiresAt.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "create session: id, user, CSRF token and expiry are required")
	}
	_, err := s.writer().ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`, ss.IDHash, ss.UserID, ss.CSRFToken, timeArg(ss.CreatedAt), timeArg(ss.ExpiresAt))
	return wrap2(err, "create session")
}

func (s *Store) Session(ctx context.Context, idHash string, now time.Time) (recoup.Session, error) {
	ss := recoup.Session{IDHash: idHash}
	var created, expires sql.NullInt64
	err := s.db.reader().QueryRowContext(ctx, `SELECT user_id, csrf_token, created_at, expires_at FROM sessions
		WHERE id_hash = ? AND expires_at > ?`, idHash, now.UnixMicro()).Scan(&ss.UserID, &ss.CSRFToken, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return recoup.Session{}, recoup.Errorf(recoup.ENOTFOUND, "no such session")
	}
	if err != nil {
		return recoup.Session{}, wrap(err, "read session")
	}
	ss.CreatedAt, ss.ExpiresAt = timeOf(created), timeOf(expires)
	return ss, nil
}

func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.writer().ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
	return wrap2(err, "delete session")
}

func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.writer().ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now.UnixMicro())
	if err != nil {
		return 0, wrap(err, "delete expired sessions")
	}
	n, err := res.RowsAffected()
	return int(n), wrap2(err, "delete expired sessions")
}

func (s *Store) CreateAPIToken(ctx context.Context, t *recoup.APIToken) error {
	if t.Hash == "" || t.UserID == 0 {
		return recoup.Errorf(recoup.EINVALID, "create API token: hash and user are required")
	}
	err := s.writer().QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, hash, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, t.UserID, t.Name, t.Hash, timeArg(t.CreatedAt), timeArg(t.ExpiresAt)).Scan(&t.ID)
	return wrap2(err, "create API token")
}

func (s *Store) APITokenByHash(ctx context.Context, hash string) (recoup.APIToken, error) {
	t := recoup.APIToken{Hash: hash}
	var created, expires sql.NullInt64
	err := s.db.reader().QueryRowContext(ctx, `SELECT id, user_id, name, created_at, expires_at FROM api_tokens WHERE hash = ?`, hash).
		Scan(&t.ID, &t.UserID, &t.Name, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
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
	err := s.writer().QueryRowContext(ctx, `INSERT INTO audit (at, user_id, user_email, action, case_id, outcome, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, timeArg(e.At), e.UserID, e.UserEmail, e.Action, e.CaseID, e.Outcome, e.Detail).Scan(&e.ID)
	return wrap2(err, "append audit entry")
}

func (s *Store) Audit(ctx context.Context, f recoup.AuditFilter) ([]recoup.AuditEntry, error) {
	limit, err := auditLimit(f)
	if err != nil {
		return nil, err
	}
	query := `SELECT id, at, user_id, user_email, action, case_id, outcome, detail FROM audit WHERE 1 = 1`
	var args []any
	if f.CaseID != 0 {
		query, args = query+` AND case_id = ?`, append(args, f.CaseID)
	}
	if f.Before != 0 {
		query, args = query+` AND id < ?`, append(args, f.Before)
	}
	rows, err := s.db.reader().QueryContext(ctx, query+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, wrap(err, "read audit log")
	}
	defer rows.Close()
	out := []recoup.AuditEntry{}
	for rows.Next() {
		var e recoup.AuditEntry
		var at sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &e.UserID, &e.UserEmail, &e.Action, &e.CaseID, &e.Outcome, &e.Detail); err != nil {
			return nil, wrap(err, "read audit log")
		}
		e.At = timeOf(at)
		out = append(out, e)
	}
	return out, wrap2(rows.Err(), "read audit log")
}

func auditLimit(f recoup.AuditFilter) (int, error) {
	switch {
	case f.Limit < 0 || f.Limit > recoup.MaxAuditLimit:
		return 0, recoup.Errorf(recoup.EINVALID, "audit: limit %d is not between 1 and %d", f.Limit, recoup.MaxAuditLimit)
	case f.Limit == 0:
		return 50, nil
	}
	return f.Limit, nil
}
