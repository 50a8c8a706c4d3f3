package storetest

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// testCaseDetail specifies CaseDetail: the case with its timeline, attempts and messages, as
// the separate reads return them, read in one snapshot. Read apart, the case page showed a
// recovered case whose succeeding attempt was missing, or still pending, while the engine
// worked on it.
func testCaseDetail(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("the case with its whole history", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c, other := retryingCase(t, s, "in_detail"), retryingCase(t, s, "in_detail_other")
		mustTx(t, s, func(tx recoup.Tx) error { return recoverCase(tx, c.ID) })
		d, err := s.CaseDetail(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "case detail", separateReads(t, s, c.ID), d)
		wantEqual(t, "state", recoup.StateRecovered, d.Case.State)
		wantEqual(t, "attempts", 2, len(d.Attempts))

		// A case with no history has empty lists, not missing ones.
		bare := createCase(t, s, minimalCase("in_detail_bare", "cus_detail"))
		d, err = s.CaseDetail(t.Context(), bare.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "case detail of a case with no history", recoup.CaseDetail{Case: storedCase(bare),
			Timeline: []recoup.TimelineEntry{}, Attempts: []recoup.Attempt{}, Messages: []recoup.Message{}}, d)
		d, err = s.CaseDetail(t.Context(), other.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "case detail of the other case", separateReads(t, s, other.ID), d)

		_, err = s.CaseDetail(t.Context(), other.ID+1000)
		wantCode(t, err, recoup.ENOTFOUND)
	})

	t.Run("one snapshot while the engine commits", func(t *testing.T) {
		t.Parallel()
		h := newStore(t)
		if h.Unisolated {
			t.Skip("the store's reads share the writes' one connection and are not isolated from them")
		}
		if h.AfterCaseRead == nil {
			t.Skip("the harness cannot run a write inside CaseDetail")
		}
		s := h.Store
		c := retryingCase(t, s, "in_detail_snapshot")
		before := separateReads(t, s, c.ID)
		// Between the read of the case and the reads of its history, another connection
		// commits the case's recovery: its state, its succeeding attempt, a timeline entry
		// and a message, in one transaction, as the engine does.
		wrote := false
		h.AfterCaseRead(func() {
			if !wrote {
				wrote = true
				mustTx(t, s, func(tx recoup.Tx) error { return recoverCase(tx, c.ID) })
			}
		})
		d, err := s.CaseDetail(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !wrote {
			t.Fatal("CaseDetail did not call the harness's AfterCaseRead function")
		}
		wantEqual(t, "case detail read while the case was recovered", before, d)

		// Read again, it has the recovery in every part.
		after, err := s.CaseDetail(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "case detail after the recovery", separateReads(t, s, c.ID), after)
		wantEqual(t, "state after the recovery", recoup.StateRecovered, after.Case.State)
	})
}

// retryingCase creates a case whose first retry has been declined, with its timeline.
func retryingCase(t *testing.T, s recoup.Store, invoiceID string) recoup.Case {
	t.Helper()
	c := minimalCase(invoiceID, "cus_detail")
	c.State, c.Attempts = recoup.StateRetrying, 1
	mustTx(t, s, func(tx recoup.Tx) error {
		if err := tx.CreateCase(&c); err != nil {
			return err
		}
		if err := tx.InsertAttempt(&recoup.Attempt{CaseID: c.ID, N: 1, Source: recoup.SourceRecoup,
			IdempotencyKey: c.IdempotencyKey(1), Status: recoup.AttemptDeclined, StartedAt: base, FinishedAt: base}); err != nil {
			return err
		}
		return tx.AppendTimeline(&recoup.TimelineEntry{CaseID: c.ID, At: base, Kind: recoup.EntryState, Summary: "Retrying."})
	})
	return c
}

// recoverCase records in tx the recovery of a retrying case by its second attempt: the case's
// state, the attempt, a timeline entry and a message.
func recoverCase(tx recoup.Tx, id int64) error {
	c, err := tx.Case(id)
	if err != nil {
		return err
	}
	c.State, c.Attempts, c.RecoveredBy, c.ResolvedAt = recoup.StateRecovered, 2, recoup.ByRecoupRetry, base.Add(2*time.Hour)
	if err := tx.UpdateCase(&c); err != nil {
		return err
	}
	if err := tx.InsertAttempt(&recoup.Attempt{CaseID: id, N: 2, Source: recoup.SourceRecoup, IdempotencyKey: c.IdempotencyKey(2),
		Status: recoup.AttemptSucceeded, StartedAt: base.Add(2 * time.Hour), FinishedAt: base.Add(2 * time.Hour)}); err != nil {
		return err
	}
	if err := tx.AppendTimeline(&recoup.TimelineEntry{CaseID: id, At: base.Add(2 * time.Hour), Kind: recoup.EntryState,
		Summary: "Recovered."}); err != nil {
		return err
	}
	return tx.InsertMessage(&recoup.Message{CaseID: id, Step: 1, Channel: "email", Status: recoup.MessagePending,
		CreatedAt: base.Add(2 * time.Hour)})
}

// separateReads reads the case and each part of its history apart.
func separateReads(t *testing.T, s recoup.Store, id int64) recoup.CaseDetail {
	t.Helper()
	ctx := t.Context()
	d := recoup.CaseDetail{Case: readCase(t, s, id)}
	var err error
	if d.Timeline, err = s.Timeline(ctx, id); err != nil {
		t.Fatal(err)
	}
	if d.Attempts, err = s.Attempts(ctx, id); err != nil {
		t.Fatal(err)
	}
	if d.Messages, err = s.Messages(ctx, id); err != nil {
		t.Fatal(err)
	}
	return d
}
