package sqlite

import (
	"database/sql"
	"errors"
	"time"

	"github.com/recoup-hq/recoup"
)

// Experiments of migration 00012: each customer's first assignment, and each experiment's state.

var _ recoup.ExperimentTx = (*tx)(nil)

func (t *tx) Assignment(experiment, customerID string) (recoup.Assignment, error) {
	a := recoup.Assignment{Experiment: experiment, CustomerID: customerID}
	var at sql.NullInt64
	err := t.q.QueryRowContext(t.ctx, `SELECT arm, share, assigned_at, stratum FROM experiment_assignments
		WHERE experiment = ? AND customer_id = ?`, experiment, customerID).Scan(&a.Arm, &a.Share, &at, &a.Stratum)
	if errors.Is(err, sql.ErrNoRows) {
		return recoup.Assignment{}, recoup.Errorf(recoup.ENOTFOUND, "customer %s has no arm in experiment %s", customerID, experiment)
	}
	if err != nil {
		return recoup.Assignment{}, wrap(err, "arm of customer %s in experiment %s", customerID, experiment)
	}
	a.AssignedAt = timeOf(at)
	return a, nil
}

func (t *tx) InsertAssignment(a *recoup.Assignment) error {
	if err := a.Validate(); err != nil {
		return err
	}
	// ON CONFLICT DO NOTHING: the customer's first arm stands, and a conflict is an answer.
	res, err := t.q.ExecContext(t.ctx, `INSERT INTO experiment_assignments
		(experiment, customer_id, arm, share, assigned_at, stratum) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (experiment, customer_id) DO NOTHING`,
		a.Experiment, a.CustomerID, a.Arm, a.Share, timeArg(a.AssignedAt), a.Stratum)
	if err != nil {
		return wrap(err, "assign customer %s to arm %s of experiment %s", a.CustomerID, a.Arm, a.Experiment)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap(err, "assign customer %s to arm %s of experiment %s", a.CustomerID, a.Arm, a.Experiment)
	} else if n == 0 {
		return recoup.Errorf(recoup.ECONFLICT, "assign customer %s to arm %s of experiment %s: the customer has an arm already",
			a.CustomerID, a.Arm, a.Experiment)
	}
	return nil
}

func (t *tx) Experiment(name string) (recoup.Experiment, error) {
	e := recoup.Experiment{Name: name}
	var started, ended sql.NullInt64
	err := t.q.QueryRowContext(t.ctx, `SELECT started_at, ended_at, ended_by, promoted_arm FROM experiments
		WHERE name = ?`, name).Scan(&started, &ended, &e.EndedBy, &e.PromotedArm)
	if errors.Is(err, sql.ErrNoRows) {
		return recoup.Experiment{}, recoup.Errorf(recoup.ENOTFOUND, "no experiment %s", name)
	}
	if err != nil {
		return recoup.Experiment{}, wrap(err, "experiment %s", name)
	}
	e.StartedAt, e.EndedAt = timeOf(started), timeOf(ended)
	return e, nil
}

func (t *tx) StartExperiment(name string, at time.Time) error {
	if name == "" || at.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "start experiment %q: a name and a time are needed", name)
	}
	_, err := t.q.ExecContext(t.ctx, `INSERT INTO experiments (name, started_at) VALUES (?, ?)
		ON CONFLICT (name) DO NOTHING`, name, timeArg(at))
	if err != nil {
		return wrap(err, "start experiment %s", name)
	}
	return nil
}

func (t *tx) EndExperiment(name string, at time.Time, by, promotedArm string) error {
	if at.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "end experiment %s: no time", name)
	}
	res, err := t.q.ExecContext(t.ctx, `UPDATE experiments SET ended_at = ?, ended_by = ?, promoted_arm = ?
		WHERE name = ? AND ended_at IS NULL`, timeArg(at), by, promotedArm, name)
	if err != nil {
		return wrap(err, "end experiment %s", name)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap(err, "end experiment %s", name)
	} else if n > 0 {
		return nil
	}
	if _, err := t.Experiment(name); err != nil {
		return err
	}
	return recoup.Errorf(recoup.ECONFLICT, "end experiment %s: it has ended already", name)
}

// ArmOutcomes reads the counters of migration 00023, which triggers on cases keep: one row
// per arm of the stratum, whatever the number of cases.
func (t *tx) ArmOutcomes(experiment, stratum string) ([]recoup.ArmOutcome, error) {
	rows, err := t.q.QueryContext(t.ctx, `SELECT arm, resolved, recovered FROM experiment_arm_outcomes
		WHERE experiment = ? AND stratum = ? AND resolved > 0 ORDER BY arm`, experiment, stratum)
	if err != nil {
		return nil, wrap(err, "outcomes of the arms of experiment %s", experiment)
	}
	defer rows.Close()
	var out []recoup.ArmOutcome
	for rows.Next() {
		var o recoup.ArmOutcome
		if err := rows.Scan(&o.Arm, &o.Resolved, &o.Recovered); err != nil {
			return nil, wrap(err, "outcomes of the arms of experiment %s", experiment)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "outcomes of the arms of experiment %s", experiment)
	}
	return out, nil
}
