package postgres

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

// Experiments of migration 00012: each customer's first assignment, and each experiment's state.

var _ recoup.ExperimentTx = (*tx)(nil)

func (t *tx) Assignment(experiment, customerID string) (recoup.Assignment, error) {
	a := recoup.Assignment{Experiment: experiment, CustomerID: customerID}
	err := t.tx.QueryRow(t.ctx, `SELECT arm, share, assigned_at, stratum FROM experiment_assignments
		WHERE experiment = $1 AND customer_id = $2`, experiment, customerID).Scan(&a.Arm, &a.Share, &a.AssignedAt, &a.Stratum)
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.Assignment{}, recoup.Errorf(recoup.ENOTFOUND, "customer %s has no arm in experiment %s", customerID, experiment)
	}
	if err != nil {
		return recoup.Assignment{}, wrap(err, "arm of customer %s in experiment %s", customerID, experiment)
	}
	a.AssignedAt = a.AssignedAt.UTC()
	return a, nil
}

func (t *tx) InsertAssignment(a *recoup.Assignment) error {
	if err := a.Validate(); err != nil {
		return err
	}
	// ON CONFLICT DO NOTHING rather than a unique violation, which would abort the transaction:
	// the customer's first arm stands, and a conflict is an answer.
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO experiment_assignments
		(experiment, customer_id, arm, share, assigned_at, stratum) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (experiment, customer_id) DO NOTHING`,
		a.Experiment, a.CustomerID, a.Arm, a.Share, a.AssignedAt, a.Stratum)
	if err != nil {
		return wrap(err, "assign customer %s to arm %s of experiment %s", a.CustomerID, a.Arm, a.Experiment)
	}
	if tag.RowsAffected() == 0 {
		return recoup.Errorf(recoup.ECONFLICT, "assign customer %s to arm %s of experiment %s: the customer has an arm already",
			a.CustomerID, a.Arm, a.Experiment)
	}
	return nil
}

func (t *tx) Experiment(name string) (recoup.Experiment, error) {
	e := recoup.Experiment{Name: name}
	var ended *time.Time
	err := t.tx.QueryRow(t.ctx, `SELECT started_at, ended_at, ended_by, promoted_arm FROM experiments
		WHERE name = $1`, name).Scan(&e.StartedAt, &ended, &e.EndedBy, &e.PromotedArm)
	if errors.Is(err, pgx.ErrNoRows) {
		return recoup.Experiment{}, recoup.Errorf(recoup.ENOTFOUND, "no experiment %s", name)
	}
	if err != nil {
		return recoup.Experiment{}, wrap(err, "experiment %s", name)
	}
	e.StartedAt, e.EndedAt = e.StartedAt.UTC(), timeOf(ended)
	return e, nil
}

func (t *tx) StartExperiment(name string, at time.Time) error {
	if name == "" || at.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "start experiment %q: a name and a time are needed", name)
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO experiments (name, started_at) VALUES ($1, $2)
		ON CONFLICT (name) DO NOTHING`, name, at)
	if err != nil {
		return wrap(err, "start experiment %s", name)
	}
	return nil
}

func (t *tx) EndExperiment(name string, at time.Time, by, promotedArm string) error {
	if at.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "end experiment %s: no time", name)
	}
	tag, err := t.tx.Exec(t.ctx, `UPDATE experiments SET ended_at = $1, ended_by = $2, promoted_arm = $3
		WHERE name = $4 AND ended_at IS NULL`, at, by, promotedArm, name)
	if err != nil {
		return wrap(err, "end experiment %s", name)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	if _, err := t.Experiment(name); err != nil {
		return err
	}
	return recoup.Errorf(recoup.ECONFLICT, "end experiment %s: it has ended already", name)
}

// ArmOutcomes reads the counters of migration 00023, which a trigger on cases keeps: one row
// per arm of the stratum, whatever the number of cases.
func (t *tx) ArmOutcomes(experiment, stratum string) ([]recoup.ArmOutcome, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT arm, resolved, recovered FROM experiment_arm_outcomes
		WHERE experiment = $1 AND stratum = $2 AND resolved > 0 ORDER BY arm COLLATE "C"`, experiment, stratum)
	if err != nil {
		return nil, wrap(err, "outcomes of the arms of experiment %s", experiment)
	}
	defer rows.Close()
	var out []recoup.ArmOutcome
	for rows.Next() {
		var o recoup.ArmOutcome
		var resolved, recovered int64
		if err := rows.Scan(&o.Arm, &resolved, &recovered); err != nil {
			return nil, wrap(err, "outcomes of the arms of experiment %s", experiment)
		}
		o.Resolved, o.Recovered = int(resolved), int(recovered)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "outcomes of the arms of experiment %s", experiment)
	}
	return out, nil
}
