package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/recoup-hq/recoup"
)

// The reads of an experiment's report: its state and its cases with their customers'
// assignments, from one snapshot.

var _ recoup.ExperimentResults = (*Store)(nil)

func (s *Store) Experiments(ctx context.Context) ([]recoup.Experiment, error) {
	out := []recoup.Experiment{}
	err := scanRows(ctx, s.db.reader(), func(rows *sql.Rows) error {
		var e recoup.Experiment
		var started, ended sql.NullInt64
		if err := rows.Scan(&e.Name, &started, &ended, &e.EndedBy, &e.PromotedArm); err != nil {
			return err
		}
		e.StartedAt, e.EndedAt = timeOf(started), timeOf(ended)
		out = append(out, e)
		return nil
	}, `SELECT name, started_at, ended_at, ended_by, promoted_arm FROM experiments ORDER BY started_at DESC, name`)
	if err != nil {
		return nil, wrap(err, "experiments")
	}
	return out, nil
}

// ExperimentCases reads the experiment's state and cases in one read transaction. The cases
// are found through the customers' assignments and the index cases_customer.
func (s *Store) ExperimentCases(ctx context.Context, name string) (e recoup.Experiment, out []recoup.ExperimentCase, err error) {
	err = s.snapshot(ctx, "experiment "+name, func(q querier) error {
		e = recoup.Experiment{Name: name}
		var started, ended sql.NullInt64
		err := q.QueryRowContext(ctx, `SELECT started_at, ended_at, ended_by, promoted_arm FROM experiments WHERE name = ?`, name).
			Scan(&started, &ended, &e.EndedBy, &e.PromotedArm)
		if errors.Is(err, sql.ErrNoRows) {
			return recoup.Errorf(recoup.ENOTFOUND, "no experiment %s", name)
		}
		if err != nil {
			return wrap(err, "experiment %s", name)
		}
		e.StartedAt, e.EndedAt = timeOf(started), timeOf(ended)
		out = []recoup.ExperimentCase{}
		err = scanRows(ctx, q, func(rows *sql.Rows) error {
			var c recoup.ExperimentCase
			var assigned, failed, resolved sql.NullInt64
			var state, final string
			if err := rows.Scan(&c.CustomerID, &c.Arm, &c.Share, &assigned, &c.CaseID, &c.Amount.Amount, &c.Amount.Currency,
				&state, &c.Attempts, &c.StripeAttempts, &failed, &resolved, &final, &c.ClosedReason, &c.Messages); err != nil {
				return err
			}
			c.State, c.FinalAction = recoup.CaseState(state), recoup.FinalAction(final)
			c.AssignedAt, c.FirstFailedAt, c.ResolvedAt = timeOf(assigned), timeOf(failed), timeOf(resolved)
			out = append(out, c)
			return nil
		}, `SELECT a.customer_id, a.arm, a.share, a.assigned_at, c.id, c.amount, c.currency, c.state, c.attempts,
				c.stripe_attempts, c.first_failed_at, c.resolved_at, c.final_action, c.closed_reason,
				(SELECT count(*) FROM messages m WHERE m.case_id = c.id AND m.status = ? AND m.step < ?)
			FROM experiment_assignments a JOIN cases c ON c.customer_id = a.customer_id AND c.experiment = a.experiment
			WHERE a.experiment = ? ORDER BY a.assigned_at, a.customer_id, c.id`,
			string(recoup.MessageSent), recoup.StepConfirmation, name)
		return wrap2(err, "cases of experiment "+name)
	})
	return e, out, err
}
