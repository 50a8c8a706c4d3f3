package postgres

import (
	"context"
	"time"

	"github.com/recoup-hq/recoup"
)

// The credential lifecycle of recoup.AccessStore: sliding session expiry (the idle timeout),
// signing a user out everywhere, listing and revoking API tokens.

func (s *Store) ExtendSession(ctx context.Context, idHash string, expires time.Time) error {
	tag, err := s.db.pool.Exec(ctx, `UPDATE sessions SET expires_at = $1 WHERE id_hash = $2`, expires, idHash)
	if err != nil {
		return wrap(err, "extend session")
	}
	if tag.RowsAffected() == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "no such session")
	}
	return nil
}

func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	tag, err := s.db.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, wrap(err, "delete the user's sessions")
	}
	return int(tag.RowsAffected()), nil
}

func (s *Store) APITokens(ctx context.Context, userID int64) ([]recoup.APIToken, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT id, name, created_at, expires_at FROM api_tokens
		WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, wrap(err, "list API tokens")
	}
	out, err := collect(rows, func(r scanner) (recoup.APIToken, error) {
		t := recoup.APIToken{UserID: userID}
		var created, expires *time.Time
		err := r.Scan(&t.ID, &t.Name, &created, &expires)
		t.CreatedAt, t.ExpiresAt = timeOf(created), timeOf(expires)
		return t, err
	})
	if err != nil {
		return nil, wrap(err, "list API tokens")
	}
	if out == nil {
		out = []recoup.APIToken{}
	}
	return out, nil
}

func (s *Store) DeleteAPIToken(ctx context.Context, id int64) error {
	tag, err := s.db.pool.Exec(ctx, `DELETE FROM api_tokens WHERE id = $1`, id)
	if err != nil {
		return wrap(err, "revoke API token")
	}
	if tag.RowsAffected() == 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "no API token %d", id)
	}
	return nil
}
