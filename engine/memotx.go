package engine

import (
	"slices"

	"github.com/recoup-hq/recoup"
)

// memoTx remembers, within one store transaction, the attempts and messages of the cases it
// read, and forgets a case's list as soon as the transaction writes to it. A charge's outcome
// reads both lists several times in its transaction (the learner's view of the case before the
// charge, the plan, the timing model, the observation); each read is a query and a scan of
// every row, message bodies included, and nothing else writes those rows while the
// transaction holds the case. Callers get copies, so changing what they got changes neither
// the cache nor another caller's copy.
type memoTx struct {
	recoup.Tx
	attempts map[int64][]recoup.Attempt
	messages map[int64][]recoup.Message
}

func memo(tx recoup.Tx) *memoTx {
	if m, ok := tx.(*memoTx); ok {
		return m
	}
	return &memoTx{Tx: tx}
}

func (t *memoTx) Attempts(caseID int64) ([]recoup.Attempt, error) {
	if as, ok := t.attempts[caseID]; ok {
		return copyAttempts(as), nil
	}
	as, err := t.Tx.Attempts(caseID)
	if err != nil {
		return nil, err
	}
	if t.attempts == nil {
		t.attempts = map[int64][]recoup.Attempt{}
	}
	t.attempts[caseID] = copyAttempts(as)
	return as, nil
}

func (t *memoTx) InsertAttempt(a *recoup.Attempt) error {
	delete(t.attempts, a.CaseID)
	return t.Tx.InsertAttempt(a)
}

func (t *memoTx) UpdateAttempt(a *recoup.Attempt) error {
	delete(t.attempts, a.CaseID)
	return t.Tx.UpdateAttempt(a)
}

func (t *memoTx) Messages(caseID int64) ([]recoup.Message, error) {
	if ms, ok := t.messages[caseID]; ok {
		return slices.Clone(ms), nil
	}
	ms, err := t.Tx.Messages(caseID)
	if err != nil {
		return nil, err
	}
	if t.messages == nil {
		t.messages = map[int64][]recoup.Message{}
	}
	t.messages[caseID] = slices.Clone(ms)
	return ms, nil
}

func (t *memoTx) InsertMessage(m *recoup.Message) error {
	delete(t.messages, m.CaseID)
	return t.Tx.InsertMessage(m)
}

func (t *memoTx) UpdateMessage(m *recoup.Message) error {
	delete(t.messages, m.CaseID)
	return t.Tx.UpdateMessage(m)
}

// copyAttempts copies as and the declines it points to (a Message holds no pointers).
func copyAttempts(as []recoup.Attempt) []recoup.Attempt {
	out := slices.Clone(as)
	for i := range out {
		if d := out[i].Decline; d != nil {
			c := *d
			out[i].Decline = &c
		}
	}
	return out
}
