package engine

import (
	"testing"

	"github.com/recoup-hq/recoup"
)

// listTx is a Tx holding attempts and messages in memory that counts its list reads.
type listTx struct {
	recoup.Tx // nil: any other method panics
	attempts  []recoup.Attempt
	messages  []recoup.Message
	reads     int
}

func (t *listTx) Attempts(caseID int64) ([]recoup.Attempt, error) {
	t.reads++
	var out []recoup.Attempt
	for _, a := range t.attempts {
		if a.CaseID == caseID {
			if a.Decline != nil {
				d := *a.Decline
				a.Decline = &d
			}
			out = append(out, a)
		}
	}
	return out, nil
}

func (t *listTx) InsertAttempt(a *recoup.Attempt) error {
	a.ID = int64(len(t.attempts) + 1)
	t.attempts = append(t.attempts, *a)
	return nil
}

func (t *listTx) UpdateAttempt(a *recoup.Attempt) error {
	t.attempts[a.ID-1] = *a
	return nil
}

func (t *listTx) Messages(caseID int64) ([]recoup.Message, error) {
	t.reads++
	var out []recoup.Message
	for _, m := range t.messages {
		if m.CaseID == caseID {
			out = append(out, m)
		}
	}
	return out, nil
}

func (t *listTx) InsertMessage(m *recoup.Message) error {
	m.ID = int64(len(t.messages) + 1)
	t.messages = append(t.messages, *m)
	return nil
}

func (t *listTx) UpdateMessage(m *recoup.Message) error {
	t.messages[m.ID-1] = *m
	return nil
}

// TestMemoTx holds the memo to what the store would answer: after any sequence of reads and
// writes, a read through the memo equals a read of the store, and only reads that follow a
// write (or come first) reach the store.
func TestMemoTx(t *testing.T) {
	type op func(tx recoup.Tx) error
	readA := func(tx recoup.Tx) error { _, err := tx.Attempts(1); return err }
	readM := func(tx recoup.Tx) error { _, err := tx.Messages(1); return err }
	readOther := func(tx recoup.Tx) error { _, err := tx.Attempts(2); return err }
	insA := func(tx recoup.Tx) error {
		return tx.InsertAttempt(&recoup.Attempt{CaseID: 1, N: 2, Status: recoup.AttemptPending})
	}
	updA := func(tx recoup.Tx) error {
		return tx.UpdateAttempt(&recoup.Attempt{ID: 1, CaseID: 1, N: 1, Status: recoup.AttemptSucceeded})
	}
	insM := func(tx recoup.Tx) error { return tx.InsertMessage(&recoup.Message{CaseID: 1, Step: 1}) }
	updM := func(tx recoup.Tx) error {
		return tx.UpdateMessage(&recoup.Message{ID: 1, CaseID: 1, Status: recoup.MessageSent})
	}
	// mutate changes what a caller got; the next read must not see it.
	mutate := func(tx recoup.Tx) error {
		as, _ := tx.Attempts(1)
		as[0].Status, as[0].Decline.Code = "changed", "changed"
		ms, _ := tx.Messages(1)
		ms[0].Status = "changed"
		return nil
	}
	tests := []struct {
		name  string
		ops   []op
		reads int // store reads, besides the final check's
	}{
		{"repeated reads", []op{readA, readA, readM, readM}, 2},
		{"other case", []op{readA, readOther, readOther}, 2},
		{"insert attempt", []op{readA, insA, readA}, 2},
		{"update attempt", []op{readA, updA, readA, readA}, 2},
		{"insert message", []op{readM, insM, readM}, 2},
		{"update message", []op{readM, updM, readM}, 2},
		{"caller changes its copy", []op{mutate, readA, readM}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &listTx{
				attempts: []recoup.Attempt{{ID: 1, CaseID: 1, N: 1, Status: recoup.AttemptDeclined, Decline: &recoup.Decline{Code: "card_declined"}},
					{ID: 2, CaseID: 2, N: 1, Status: recoup.AttemptDeclined}},
				messages: []recoup.Message{{ID: 1, CaseID: 1, Status: recoup.MessagePending}},
			}
			tx := memo(store)
			for _, op := range tt.ops {
				if err := op(tx); err != nil {
					t.Fatal(err)
				}
			}
			if store.reads != tt.reads {
				t.Errorf("store read %d times, want %d", store.reads, tt.reads)
			}
			gotA, _ := tx.Attempts(1)
			wantA, _ := store.Attempts(1)
			if len(gotA) != len(wantA) {
				t.Fatalf("attempts: got %d, want %d", len(gotA), len(wantA))
			}
			for i := range gotA {
				g, w := gotA[i], wantA[i]
				if (g.Decline == nil) != (w.Decline == nil) || (g.Decline != nil && *g.Decline != *w.Decline) {
					t.Errorf("attempt %d decline: got %+v, want %+v", i, g.Decline, w.Decline)
				}
				g.Decline, w.Decline = nil, nil
				if g != w {
					t.Errorf("attempt %d: got %+v, want %+v", i, g, w)
				}
			}
			gotM, _ := tx.Messages(1)
			wantM, _ := store.Messages(1)
			if len(gotM) != len(wantM) {
				t.Fatalf("messages: got %d, want %d", len(gotM), len(wantM))
			}
			for i := range gotM {
				if gotM[i] != wantM[i] {
					t.Errorf("message %d: got %+v, want %+v", i, gotM[i], wantM[i])
				}
			}
		})
	}
}
