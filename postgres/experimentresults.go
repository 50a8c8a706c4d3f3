package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

// The reads of an experiment's report: its state and its cases with their customers'
// assignments, from one snapshot.

var _ recoup.ExperimentResults = (*Store)(nil)

func scanExperiment(r scanner) (recoup.Experiment, error) {
	var e recoup.Experiment
	var ended *time.Time
	err := r.Scan(&e.Name, &e.StartedAt, &ended, &e.EndedBy, &e.PromotedArm)
	e.StartedAt, e.EndedAt = e.StartedAt.UTC(), timeOf(ended)
	return e, err
}

func (s *Store) Experiments(ctx context.Context) ([]recoup.Experiment, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT name, started_at, ended_at, ended_by, promoted_arm FROM experiments
		ORDER BY started_at DESC, name`)
	if err != nil {
		return nil, wrap(err, "experiments")
	}
	out, err := collect(rows, scanExperiment)
	if err != nil {
		return nil, wrap(err, "experiments")
	}
	return out, nil
}

// ExperimentCases reads the experiment's state and cases in one REPEATABLE READ transaction.
func (s *Store) ExperimentCases(ctx context.Context, name string) (e recoup.Experiment, out []recoup.ExperimentCase, err error) {
	err = s.snapshot(ctx, "experiment "+name, func(q querier) error {
		var err error
		e, err = scanExperiment(q.QueryRow(ctx, `SELECT name, started_at, ended_at, ended_by, promoted_arm FROM experiments
			WHERE name = $1`, name))
		if errors.Is(err, pgx.ErrNoRows) {
			return recoup.Errorf(recoup.ENOTFOUND, "no experiment %s", name)
		}
		if err != nil {
			return wrap(err, "experiment %s", name)
		}
		rows, err := q.Query(ctx, `SELECT a.customer_id, a.arm, a.share, a.assigned_at, c.id, c.amount, c.currency, c.state,
				c.attempts, c.stripe_attempts, c.first_failed_at, c.resolved_at, c.final_action, c.closed_reason,
				(SELECT count(*) FROM messages m WHERE m.case_id = c.id AND m.status = $1 AND m.step < $2)
			FROM experiment_assignments a JOIN cases c ON c.customer_id = a.customer_id AND c.experiment = a.experiment
			WHERE a.experiment = $3 ORDER BY a.assigned_at, a.customer_id, c.id`,
			string(recoup.MessageSent), recoup.StepConfirmation, name)
		if err != nil {
			return wrap(err, "cases of experiment %s", name)
		}
		out, err = collect(rows, func(r scanner) (recoup.ExperimentCase, error) {
			var c recoup.ExperimentCase
			var failed, resolved *time.Time
			var state, final string
			err := r.Scan(&c.CustomerID, &c.Arm, &c.Share, &c.AssignedAt, &c.CaseID, &c.Amount.Amount, &c.Amount.Currency,
				&state, &c.Attempts, &c.StripeAttempts, &failed, &resolved, &final, &c.ClosedReason, &c.Messages)
			c.State, c.FinalAction = recoup.CaseState(state), recoup.FinalAction(final)
			c.AssignedAt, c.FirstFailedAt, c.ResolvedAt = c.AssignedAt.UTC(), timeOf(failed), timeOf(resolved)
			return c, err
		})
		return wrapNil(err, "cases of experiment "+name)
	})
	return e, out, err
}
