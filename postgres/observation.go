package postgres

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

// What learned models learn from, and their snapshots.

func (t *tx) AddObservation(o *recoup.Observation) error {
	if err := o.Check(); err != nil {
		return err
	}
	fs := o.Features
	if fs == nil {
		fs = []string{}
	}
	// Identity values are handed out before commit: without the lock, a reader could see
	// observation 11 committed before 10 and never fold 10. The lock orders the commits of one
	// model's observations as their IDs.
	if _, err := t.tx.Exec(t.ctx, `SELECT pg_advisory_xact_lock(hashtextextended('recoup_model:' || $1, 0))`, o.Model); err != nil {
		return wrap(err, "lock model %s", o.Model)
	}
	err := t.tx.QueryRow(t.ctx, `INSERT INTO model_observations (model, kind, features, success, at, source)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, o.Model, string(o.Kind), fs, o.Success, timeArg(o.At), o.Source).Scan(&o.ID)
	if err != nil {
		return wrap(err, "add observation of %s", o.Model)
	}
	return nil
}

func (t *tx) Observations(model string, after int64, limit int) ([]recoup.Observation, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT id, kind, features, success, at, source FROM model_observations
		WHERE model = $1 AND id > $2 ORDER BY id LIMIT $3`, model, after, limit)
	if err != nil {
		return nil, wrap(err, "observations of %s", model)
	}
	out, err := collect(rows, func(r scanner) (recoup.Observation, error) {
		o := recoup.Observation{Model: model}
		var (
			kind string
			at   *time.Time
		)
		if err := r.Scan(&o.ID, &kind, &o.Features, &o.Success, &at, &o.Source); err != nil {
			return o, err
		}
		o.Kind, o.At = recoup.ObservationKind(kind), timeOf(at)
		return o, nil
	})
	if err != nil {
		return nil, wrap(err, "observations of %s", model)
	}
	return out, nil
}

func (t *tx) ModelSnapshot(model string) (recoup.ModelSnapshot, error) {
	s := recoup.ModelSnapshot{Model: model}
	var (
		state json.RawMessage
		at    *time.Time
	)
	err := t.tx.QueryRow(t.ctx, `SELECT up_to, state, at FROM model_snapshots WHERE model = $1`, model).Scan(&s.UpTo, &state, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, recoup.Errorf(recoup.ENOTFOUND, "model %s has no snapshot", model)
	}
	if err != nil {
		return s, wrap(err, "snapshot of model %s", model)
	}
	s.State, s.At = state, timeOf(at)
	return s, nil
}

func (t *tx) SaveModelSnapshot(s recoup.ModelSnapshot) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO model_snapshots (model, up_to, state, at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (model) DO UPDATE SET up_to = excluded.up_to, state = excluded.state, at = excluded.at
		WHERE excluded.up_to > model_snapshots.up_to`, s.Model, s.UpTo, json.RawMessage(s.State), timeArg(s.At))
	if err != nil {
		return wrap(err, "save snapshot of model %s", s.Model)
	}
	return nil
}
