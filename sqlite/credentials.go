package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/recoup-hq/recoup"
)

// The credential lifecycle of recoup.AccessStore: sliding session expiry (the idle timeout),
// signing a user out everywhere, listing and revoking API tokens.

func (s *Store) ExtendSession(ctx context.Context, idHash string, expires time.Time) error {
	res, err := s.writer().ExecContext(ctx, `UPDATE sessions SET expires_at = ? WHERE id_hash = ?`, expires.UnixMicro(), idHash)
	if err != nil {
		return wrap(err, "extend session")
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return wrapNotFound(err, "no such session")
	}
	return nil
}

func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	res, err := s.writer().ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, wrap(err, "delete the user's sessions")
	}
	n, err := res.RowsAffected()
	return int(n), wrap2(err, "delete the user's sessions")
}

func (s *Store) APITokens(ctx context.Context, userID int64) ([]recoup.APIToken, error) {
	rows, err := s.db.reader().QueryContext(ctx, `SELECT id, name, created_at, expires_at FROM api_tokens
		WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, wrap(err, "list API tokens")
	}
	defer rows.Close()
	out := []recoup.APIToken{}
	for rows.Next() {
		t := recoup.APIToken{UserID: userID}
		var created, expires sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &created, &expires); err != nil {
			return nil, wrap(err, "list API tokens")
		}
		t.CreatedAt, t.ExpiresAt = timeOf(created), timeOf(expires)
		out = append(out, t)
	}
	return out, wrap2(rows.Err(), "list API tokens")
}

func (s *Store) DeleteAPIToken(ctx context.Context, id int64) error {
	res, err := s.writer().ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ?`, id)
	if err != nil {
		return wrap(err, "revoke API token")
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return wrapNotFound(err, "no API token %d", id)
	}
	return nil
}

// wrapNotFound is err wrapped, or an ENOTFOUND error when there is none (no row was changed).
func wrapNotFound(err error, format string, args ...any) error {
	if err != nil {
		return wrap(err, "%s", "update")
	}
	return recoup.Errorf(recoup.ENOTFOUND, format, args...)
}
