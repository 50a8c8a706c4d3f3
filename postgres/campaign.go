package postgres

import (
	"context"
	"time"

	"github.com/recoup-hq/recoup"
)

// The dashboard's figures of migration 00009: recovery by segment, link clicks and the
// campaign steps' rates, and the history of policy versions.

var (
	_ recoup.CampaignStore = (*Store)(nil)
	_ recoup.PolicyHistory = (*Store)(nil)
	_ recoup.ClickRecorder = (*tx)(nil)
)

func scanSegmentRow(r scanner) (recoup.SegmentRow, error) {
	var row recoup.SegmentRow
	err := r.Scan(&row.Currency, &row.Segment, &row.State, &row.Count, &row.Amount)
	return row, err
}

// segments adds the rows of query (currency, segment, state, count, amount) to o's segments.
func (r analyticsReader) segments(o *recoup.Overview, query string, args ...any) error {
	rows, err := r.q.Query(r.ctx, query, args...)
	if err != nil {
		return wrap(err, "overview: segments")
	}
	groups, err := collect(rows, scanSegmentRow)
	if err != nil {
		return wrap(err, "overview: segments")
	}
	for _, g := range groups {
		o.AddSegment(g)
	}
	return nil
}

func (t *tx) RecordClick(caseID int64, at time.Time) error {
	_, err := t.tx.Exec(t.ctx, `UPDATE messages SET clicks = clicks + 1, first_clicked_at = coalesce(first_clicked_at, $1)
		WHERE id = (SELECT id FROM messages WHERE case_id = $2 AND status = $3 AND step < $4 ORDER BY step DESC LIMIT 1)`,
		at, caseID, string(recoup.MessageSent), recoup.StepConfirmation)
	return wrapNil(err, "record click")
}

func scanStepStats(r scanner) (recoup.StepStats, error) {
	var st recoup.StepStats
	err := r.Scan(&st.Template, &st.Step, &st.Sent, &st.Clicked, &st.RecoveredAfterClick, &st.Updated)
	return st, err
}

// CampaignSteps reads the period's messages through the index messages_steps alone: the time
// each one's case was recovered by the customer is on the message (migration 00009's trigger),
// so no case is read. Its cost grows with the period's messages, not all messages.
func (s *Store) CampaignSteps(ctx context.Context, from, to time.Time) ([]recoup.StepStats, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT template, step, count(*), count(first_clicked_at),
			count(*) FILTER (WHERE recovered_at >= first_clicked_at), count(*) FILTER (WHERE recovered_at >= sent_at)
		FROM messages WHERE created_at >= $1 AND created_at < $2 AND status = $3 AND step < $4
		GROUP BY step, template ORDER BY step, template`,
		from, to, string(recoup.MessageSent), recoup.StepConfirmation)
	if err != nil {
		return nil, wrap(err, "campaign steps")
	}
	out, err := collect(rows, scanStepStats)
	if err != nil {
		return nil, wrap(err, "campaign steps")
	}
	return out, nil
}

func (s *Store) RecordPolicyVersion(ctx context.Context, version, source, note string, at time.Time) error {
	if version == "" {
		return recoup.Errorf(recoup.EINVALID, "record policy version: no version")
	}
	_, err := s.db.pool.Exec(ctx, `INSERT INTO policy_versions (version, source, first_seen_at, last_activated_at, note)
		VALUES ($1, $2, $3, $3, $4) ON CONFLICT (version)
		DO UPDATE SET last_activated_at = greatest(policy_versions.last_activated_at, excluded.last_activated_at),
			note = CASE WHEN excluded.note <> '' THEN excluded.note ELSE policy_versions.note END`,
		version, source, at, note)
	return wrapNil(err, "record policy version")
}

func scanPolicyVersion(r scanner) (recoup.PolicyVersion, error) {
	var v recoup.PolicyVersion
	var first, last *time.Time
	err := r.Scan(&v.Version, &v.Source, &first, &last, &v.Note)
	v.FirstSeenAt, v.LastActivatedAt = timeOf(first), timeOf(last)
	return v, err
}

func (s *Store) PolicyVersions(ctx context.Context, limit int) ([]recoup.PolicyVersion, error) {
	if limit < 1 {
		return nil, recoup.Errorf(recoup.EINVALID, "policy versions: limit %d is not positive", limit)
	}
	rows, err := s.db.pool.Query(ctx, `SELECT version, source, first_seen_at, last_activated_at, note FROM policy_versions
		ORDER BY last_activated_at DESC, version LIMIT $1`, limit)
	if err != nil {
		return nil, wrap(err, "policy versions")
	}
	out, err := collect(rows, scanPolicyVersion)
	if err != nil {
		return nil, wrap(err, "policy versions")
	}
	return out, nil
}
