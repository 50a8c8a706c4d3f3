package sqlite

import (
	"context"
	"database/sql"
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

// segments adds the rows of query (currency, segment, state, count, amount) to o's segments.
func (r analyticsReader) segments(o *recoup.Overview, query string, args ...any) error {
	err := scanRows(r.ctx, r.q, func(rows *sql.Rows) error {
		var r recoup.SegmentRow
		if err := rows.Scan(&r.Currency, &r.Segment, &r.State, &r.Count, &r.Amount); err != nil {
			return err
		}
		o.AddSegment(r)
		return nil
	}, query, args...)
	return wrap2(err, "overview: segments")
}

func (t *tx) RecordClick(caseID int64, at time.Time) error {
	_, err := t.q.ExecContext(t.ctx, `UPDATE messages SET clicks = clicks + 1, first_clicked_at = coalesce(first_clicked_at, ?)
		WHERE id = (SELECT id FROM messages WHERE case_id = ? AND status = ? AND step < ? ORDER BY step DESC LIMIT 1)`,
		timeArg(at), caseID, string(recoup.MessageSent), recoup.StepConfirmation)
	return wrap2(err, "record click")
}

// CampaignSteps reads the period's messages from the covering index messages_steps alone: the
// time each one's case was recovered by the customer is on the message (migration 00009's
// trigger), so no case is read. Its cost grows with the period's messages, not all messages.
func (s *Store) CampaignSteps(ctx context.Context, from, to time.Time) ([]recoup.StepStats, error) {
	var out []recoup.StepStats
	err := scanRows(ctx, s.db.reader(), func(rows *sql.Rows) error {
		var st recoup.StepStats
		if err := rows.Scan(&st.Template, &st.Step, &st.Sent, &st.Clicked, &st.RecoveredAfterClick, &st.Updated); err != nil {
			return err
		}
		out = append(out, st)
		return nil
	}, `SELECT template, step, count(*), count(first_clicked_at),
			coalesce(sum(recovered_at >= first_clicked_at), 0), coalesce(sum(recovered_at >= sent_at), 0)
		FROM messages WHERE created_at >= ? AND created_at < ? AND status = ? AND step < ?
		GROUP BY step, template ORDER BY step, template`,
		from.UnixMicro(), to.UnixMicro(), string(recoup.MessageSent), recoup.StepConfirmation)
	if err != nil {
		return nil, wrap(err, "campaign steps")
	}
	return out, nil
}

func (s *Store) RecordPolicyVersion(ctx context.Context, version, source, note string, at time.Time) error {
	if version == "" {
		return recoup.Errorf(recoup.EINVALID, "record policy version: no version")
	}
	_, err := s.writer().ExecContext(ctx, `INSERT INTO policy_versions (version, source, first_seen_at, last_activated_at, note)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (version) DO UPDATE SET last_activated_at = max(last_activated_at, excluded.last_activated_at),
			note = CASE WHEN excluded.note <> '' THEN excluded.note ELSE policy_versions.note END`,
		version, source, at.UnixMicro(), at.UnixMicro(), note)
	return wrap2(err, "record policy version")
}

func (s *Store) PolicyVersions(ctx context.Context, limit int) ([]recoup.PolicyVersion, error) {
	if limit < 1 {
		return nil, recoup.Errorf(recoup.EINVALID, "policy versions: limit %d is not positive", limit)
	}
	var out []recoup.PolicyVersion
	err := scanRows(ctx, s.db.reader(), func(rows *sql.Rows) error {
		var v recoup.PolicyVersion
		var first, last sql.NullInt64
		if err := rows.Scan(&v.Version, &v.Source, &first, &last, &v.Note); err != nil {
			return err
		}
		v.FirstSeenAt, v.LastActivatedAt = timeOf(first), timeOf(last)
		out = append(out, v)
		return nil
	}, `SELECT version, source, first_seen_at, last_activated_at, note FROM policy_versions
		ORDER BY last_activated_at DESC, version LIMIT ?`, limit)
	if err != nil {
		return nil, wrap(err, "policy versions")
	}
	return out, nil
}
