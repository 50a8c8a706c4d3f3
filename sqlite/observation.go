package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/recoup-hq/recoup"
)

// What learned models learn from, and their snapshots. SQLite transactions are exclusive, so
// observation IDs are assigned in commit order.

func (t *tx) AddObservation(o *recoup.Observation) error {
	if err := o.Check(); err != nil {
		return err
	}
	fs, err := json.Marshal(nonNil(o.Features))
	if err != nil {
		return recoup.Errorf(recoup.EINVALID, "add observation of %s: %w", o.Model, err)
	}
	id, _, err := insertID(t.ctx, t.q, `INSERT INTO model_observations (model, kind, features, success, at, source)
		VALUES (?, ?, ?, ?, ?, ?)`, o.Model, string(o.Kind), string(fs), o.Success, timeArg(o.At), o.Source)
	if err != nil {
		return wrap(err, "add observation of %s", o.Model)
	}
	o.ID = id
	if t.olog != nil {
		if c, ok := loggedObservation(o); ok {
			t.added = append(t.added, c)
		} else {
			t.unlogged = true // this transaction's reads go to the table; the log stops at its commit
		}
	}
	return nil
}

func (t *tx) Observations(model string, after int64, limit int) ([]recoup.Observation, error) {
	if t.olog != nil && !t.unlogged {
		out, ok, err := t.olog.Since(model, after, limit, t.added, func() (id int64, err error) {
			err = t.q.QueryRowContext(t.ctx, `SELECT coalesce(max(id), 0) FROM model_observations`).Scan(&id)
			return id, err
		})
		if err != nil {
			return nil, wrap(err, "observations of %s", model)
		}
		if ok {
			return out, nil
		}
	}
	// The limit is written into the statement (see PastCases).
	rows, err := t.q.QueryContext(t.ctx, `SELECT id, kind, features, success, at, source FROM model_observations
		WHERE model = ? AND id > ? ORDER BY id LIMIT `+strconv.Itoa(limit), model, after)
	if err != nil {
		return nil, wrap(err, "observations of %s", model)
	}
	defer rows.Close()
	out := []recoup.Observation{}
	for rows.Next() {
		o := recoup.Observation{Model: model}
		var (
			kind, fs string
			at       sql.NullInt64
		)
		if err := rows.Scan(&o.ID, &kind, &fs, &o.Success, &at, &o.Source); err != nil {
			return nil, wrap(err, "observations of %s", model)
		}
		o.Kind, o.At = recoup.ObservationKind(kind), timeOf(at)
		if err := json.Unmarshal([]byte(fs), &o.Features); err != nil {
			return nil, recoup.Errorf(recoup.EINTERNAL, "observation %d of %s: %w", o.ID, model, err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "observations of %s", model)
	}
	return out, nil
}

func (t *tx) ModelSnapshot(model string) (recoup.ModelSnapshot, error) {
	s := recoup.ModelSnapshot{Model: model}
	var (
		state string
		at    sql.NullInt64
	)
	err := t.q.QueryRowContext(t.ctx, `SELECT up_to, state, at FROM model_snapshots WHERE model = ?`, model).Scan(&s.UpTo, &state, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return s, recoup.Errorf(recoup.ENOTFOUND, "model %s has no snapshot", model)
	}
	if err != nil {
		return s, wrap(err, "snapshot of model %s", model)
	}
	s.State, s.At = []byte(state), timeOf(at)
	return s, nil
}

func (t *tx) SaveModelSnapshot(s recoup.ModelSnapshot) error {
	_, err := t.q.ExecContext(t.ctx, `INSERT INTO model_snapshots (model, up_to, state, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (model) DO UPDATE SET up_to = excluded.up_to, state = excluded.state, at = excluded.at
		WHERE excluded.up_to > model_snapshots.up_to`, s.Model, s.UpTo, string(s.State), timeArg(s.At))
	if err != nil {
		return wrap(err, "save snapshot of model %s", s.Model)
	}
	return nil
}

func nonNil(fs []string) []string {
	if fs == nil {
		return []string{}
	}
	return fs
}
