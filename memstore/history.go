package memstore

import (
	"context"
	"slices"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/updatelink"
)

// A case's history: its timeline, its charge attempts and its messages, kept in its row.

// copyDecline returns a copy of d.
func copyDecline(d *recoup.Decline) *recoup.Decline {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}

func (d *data) timelineCopy(r *caseRow) []recoup.TimelineEntry {
	return d.timelines.entries(r.c.ID, r.timeline)
}

func (r *caseRow) attemptsCopy() []recoup.Attempt {
	out := slices.Clone(r.attempts)
	if out == nil {
		out = []recoup.Attempt{}
	}
	for i := range out {
		out[i].Decline = copyDecline(out[i].Decline)
	}
	return out
}

func (r *caseRow) messagesCopy() []recoup.Message {
	out := slices.Clone(r.messages)
	if out == nil {
		out = []recoup.Message{}
	}
	return out
}

func (t *tx) AppendTimeline(e *recoup.TimelineEntry) error {
	if err := t.live("append timeline"); err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "append timeline of case %d: %w", e.CaseID, err)
	}
	r := t.d.row(e.CaseID)
	if r == nil {
		return recoup.Errorf(recoup.ENOTFOUND, "append timeline of case %d: no such case", e.CaseID)
	}
	t.d.ids.timeline++
	id := t.d.ids.timeline
	prev, m := r.timeline, t.d.timelines.mark()
	r.timeline = t.d.timelines.append(prev, &recoup.TimelineEntry{ID: id, At: e.At, Kind: e.Kind, Summary: e.Summary, Detail: e.Detail})
	t.onUndo(func() {
		r.timeline = prev
		t.d.timelines.truncate(m)
	})
	e.ID = id
	return nil
}

func (s *Store) Timeline(ctx context.Context, caseID int64) ([]recoup.TimelineEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.d.row(caseID)
	if r == nil {
		return nil, recoup.Errorf(recoup.ENOTFOUND, "timeline of case %d: no such case", caseID)
	}
	return s.d.timelineCopy(r), nil
}

func (t *tx) InsertAttempt(a *recoup.Attempt) error {
	if err := t.live("insert attempt"); err != nil {
		return err
	}
	if a.Source == "" || a.Status == "" {
		return recoup.Errorf(recoup.EINVALID, "insert attempt %d of case %d: source and status are required", a.N, a.CaseID)
	}
	r := t.d.row(a.CaseID)
	if r == nil {
		return recoup.Errorf(recoup.ENOTFOUND, "insert attempt %d of case %d: no such case", a.N, a.CaseID)
	}
	for _, o := range r.attempts {
		if o.Source == a.Source && o.N == a.N {
			return recoup.Errorf(recoup.ECONFLICT, "insert %s attempt %d of case %d: the attempt exists", a.Source, a.N, a.CaseID)
		}
	}
	t.d.ids.attempt++
	s := *a
	s.ID, s.Decline = t.d.ids.attempt, copyDecline(a.Decline)
	s.StartedAt, s.FinishedAt = stored(s.StartedAt), stored(s.FinishedAt)
	n := len(r.attempts)
	r.attempts = append(r.attempts, s)
	t.d.attemptCase = append(t.d.attemptCase, a.CaseID)
	t.onUndo(func() {
		r.attempts = r.attempts[:n]
		t.d.attemptCase = t.d.attemptCase[:len(t.d.attemptCase)-1]
	})
	a.ID = s.ID
	return nil
}

func (t *tx) UpdateAttempt(a *recoup.Attempt) error {
	if err := t.live("update attempt"); err != nil {
		return err
	}
	var r *caseRow
	if a.ID >= 1 && a.ID <= int64(len(t.d.attemptCase)) {
		r = t.d.row(t.d.attemptCase[a.ID-1])
	}
	i := -1
	if r != nil {
		i = slices.IndexFunc(r.attempts, func(o recoup.Attempt) bool { return o.ID == a.ID })
	}
	if i < 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "update attempt %d: no such attempt", a.ID)
	}
	p := &r.attempts[i]
	old := *p
	p.Status, p.Card, p.Decline, p.FinishedAt = a.Status, a.Card, copyDecline(a.Decline), stored(a.FinishedAt)
	t.onUndo(func() { // by ID: an append since may have moved the slice
		r.attempts[slices.IndexFunc(r.attempts, func(o recoup.Attempt) bool { return o.ID == old.ID })] = old
	})
	return nil
}

func (t *tx) Attempts(caseID int64) ([]recoup.Attempt, error) {
	if err := t.live("read attempts"); err != nil {
		return nil, err
	}
	r := t.d.row(caseID)
	if r == nil {
		return nil, recoup.Errorf(recoup.ENOTFOUND, "attempts of case %d: no such case", caseID)
	}
	return r.attemptsCopy(), nil
}

func (s *Store) Attempts(ctx context.Context, caseID int64) ([]recoup.Attempt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.d.row(caseID)
	if r == nil {
		return nil, recoup.Errorf(recoup.ENOTFOUND, "attempts of case %d: no such case", caseID)
	}
	return r.attemptsCopy(), nil
}

// The messages are kept as SQLite's store keeps them: subject, text and HTML with the
// customer's live links replaced by markers (updatelink.Redact), and no notice ID (a message's
// NoticeID is not stored).

func (t *tx) InsertMessage(m *recoup.Message) error {
	if err := t.live("insert message"); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "insert message %d of case %d: %w", m.Step, m.CaseID, err)
	}
	r := t.d.row(m.CaseID)
	if r == nil {
		return recoup.Errorf(recoup.ENOTFOUND, "insert message %d of case %d: no such case", m.Step, m.CaseID)
	}
	i, found := slices.BinarySearchFunc(r.messages, m.Step, func(o recoup.Message, step int) int { return o.Step - step })
	if found {
		return recoup.Errorf(recoup.ECONFLICT, "insert message %d of case %d: the message exists", m.Step, m.CaseID)
	}
	t.d.ids.message++
	s := *m
	s.ID, s.NoticeID = t.d.ids.message, 0
	s.Subject, s.Text, s.HTML = updatelink.Redact(m.Subject), updatelink.Redact(m.Text), updatelink.Redact(m.HTML)
	s.CreatedAt, s.SentAt = stored(m.CreatedAt), stored(m.SentAt)
	r.messages = slices.Insert(r.messages, i, s)
	t.d.messageCase = append(t.d.messageCase, m.CaseID)
	t.onUndo(func() {
		r.messages = slices.Delete(r.messages, i, i+1)
		t.d.messageCase = t.d.messageCase[:len(t.d.messageCase)-1]
	})
	m.ID = s.ID
	return nil
}

func (t *tx) UpdateMessage(m *recoup.Message) error {
	if err := t.live("update message"); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "update message %d: %w", m.ID, err)
	}
	var r *caseRow
	if m.ID >= 1 && m.ID <= int64(len(t.d.messageCase)) {
		r = t.d.row(t.d.messageCase[m.ID-1])
	}
	i := -1
	if r != nil {
		i = slices.IndexFunc(r.messages, func(o recoup.Message) bool { return o.ID == m.ID })
	}
	if i < 0 {
		return recoup.Errorf(recoup.ENOTFOUND, "update message %d: no such message", m.ID)
	}
	p := &r.messages[i]
	old := *p
	p.To, p.Subject, p.Text, p.HTML = m.To, updatelink.Redact(m.Subject), updatelink.Redact(m.Text), updatelink.Redact(m.HTML)
	p.Status, p.Error, p.SentAt = m.Status, m.Error, stored(m.SentAt)
	t.onUndo(func() { // by ID: an insert since may have moved the slice
		r.messages[slices.IndexFunc(r.messages, func(o recoup.Message) bool { return o.ID == old.ID })] = old
	})
	return nil
}

func (t *tx) Messages(caseID int64) ([]recoup.Message, error) {
	if err := t.live("read messages"); err != nil {
		return nil, err
	}
	r := t.d.row(caseID)
	if r == nil {
		return nil, recoup.Errorf(recoup.ENOTFOUND, "messages of case %d: no such case", caseID)
	}
	return r.messagesCopy(), nil
}

func (s *Store) Messages(ctx context.Context, caseID int64) ([]recoup.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.d.row(caseID)
	if r == nil {
		return nil, recoup.Errorf(recoup.ENOTFOUND, "messages of case %d: no such case", caseID)
	}
	return r.messagesCopy(), nil
}
