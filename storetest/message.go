package storetest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

func testMessages(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("messages round-trip by step and update", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_msg", "cus_1"))
		other := createCase(t, s, minimalCase("in_msg2", "cus_1"))
		messages := []recoup.Message{
			// Inserted out of step order on purpose: messages are listed by step.
			fullMessage(c, 2),
			{CaseID: c.ID, Step: 0, Channel: "webhook", Status: recoup.MessageSkipped, CreatedAt: base,
				Generated: true, Generation: `{"subject": "Hello", "body": "..."}`, Model: "llama3.1:8b"},
			{CaseID: other.ID, Step: 1, Channel: "email", Status: recoup.MessagePending},
			{CaseID: c.ID, Step: 1, Channel: "email", Template: "helpful", Tone: "helpful",
				Status: recoup.MessagePending, CreatedAt: base.Add(time.Hour)},
		}
		mustTx(t, s, func(tx recoup.Tx) error {
			for i := range messages {
				if err := tx.InsertMessage(&messages[i]); err != nil {
					return err
				}
				if messages[i].ID == 0 {
					t.Errorf("InsertMessage did not set the ID of message %d", i)
				}
			}
			return nil
		})

		// The pending message is rendered and sent after its insert: recipient, subject, body,
		// HTML, status, error and send time change, nothing else.
		sent := messages[3]
		sent.To, sent.Subject, sent.Text, sent.HTML = "ada@example.com", "Your card", "Please update your card.", "<p>Please update your card.</p>"
		sent.Status, sent.Error, sent.SentAt = recoup.MessageFailed, "550 no such mailbox", base.Add(time.Hour+time.Second)
		mustTx(t, s, func(tx recoup.Tx) error { return tx.UpdateMessage(&sent) })
		messages[3] = sent

		var want []recoup.Message
		for _, i := range []int{1, 3, 0} { // steps 0, 1, 2 of c
			m := messages[i]
			m.CreatedAt, m.SentAt = stored(m.CreatedAt), stored(m.SentAt)
			want = append(want, m)
		}
		got, err := s.Messages(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "Store.Messages", want, got)
		mustTx(t, s, func(tx recoup.Tx) error {
			got, err := tx.Messages(c.ID)
			if err != nil {
				return err
			}
			wantEqual(t, "Tx.Messages", want, got)
			return nil
		})
	})

	t.Run("messages and notices are stored with their links redacted", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_msglink", "cus_1"))
		const (
			update = "https://pay.example.com/u/AQF1AAAAAAAAAAcAAAAAaeX1gFq0dGVzdG5vbmNlX19fX19fXw"
			unsub  = "https://pay.example.com/unsubscribe/AQF4AAAAAAAAAAcAAAAAaeX1gFq0dGVzdG5vbmNlX19fX19fXw"
		)
		live := "Update your card: " + update + "\n\nStop these emails: " + unsub
		html := `<a href="` + update + `">Update</a> <a href="` + unsub + `">Stop</a>`
		m := recoup.Message{CaseID: c.ID, Step: 0, Channel: "email", Status: recoup.MessagePending, CreatedAt: base,
			Subject: "Your card", Text: live, HTML: html}
		n := fullNotice("cus_1/pm_link/2026-04-13")
		n.Text, n.HTML = live, html
		mustTx(t, s, func(tx recoup.Tx) error {
			if err := tx.InsertMessage(&m); err != nil {
				return err
			}
			return tx.InsertNotice(&n)
		})
		if m.Text != live {
			t.Error("InsertMessage changed the caller's message: the channel must get the live links")
		}
		check := func(what, text, html string) {
			t.Helper()
			for _, leak := range []string{update, unsub, "/u/", "/unsubscribe/"} {
				if strings.Contains(text+html, leak) {
					t.Errorf("%s is stored with %q:\n%s\n%s", what, leak, text, html)
				}
			}
			if text != "Update your card: [card update link]\n\nStop these emails: [unsubscribe link]" {
				t.Errorf("%s text stored as %q: which link it carried is lost", what, text)
			}
		}
		got, err := s.Messages(t.Context(), c.ID)
		if err != nil || len(got) != 1 {
			t.Fatalf("messages %v, %v", got, err)
		}
		check("the inserted message", got[0].Text, got[0].HTML)
		m.Status, m.SentAt = recoup.MessageSent, base.Add(time.Minute)
		mustTx(t, s, func(tx recoup.Tx) error {
			if err := tx.UpdateMessage(&m); err != nil {
				return err
			}
			return tx.UpdateNotice(&n)
		})
		if got, err = s.Messages(t.Context(), c.ID); err != nil {
			t.Fatal(err)
		}
		check("the updated message", got[0].Text, got[0].HTML)
		mustTx(t, s, func(tx recoup.Tx) error {
			got, err := tx.Notice(n.ID)
			if err != nil {
				return err
			}
			check("the notice", got.Text, got.HTML)
			return nil
		})
	})

	t.Run("a second message for the same case and step conflicts", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_msgdup", "cus_1"))
		m := fullMessage(c, 0)
		mustTx(t, s, func(tx recoup.Tx) error { return tx.InsertMessage(&m) })
		mustTx(t, s, func(tx recoup.Tx) error {
			dup := m
			dup.ID, dup.Status, dup.Channel = 0, recoup.MessagePending, "webhook"
			wantCode(t, tx.InsertMessage(&dup), recoup.ECONFLICT)
			// The transaction goes on: a conflict is an answer, not a broken transaction.
			next := m
			next.ID, next.Step = 0, 1
			return tx.InsertMessage(&next)
		})
		got, err := s.Messages(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != m.ID || got[0].Channel != "email" || got[1].Step != 1 {
			t.Fatalf("messages: %+v, want the first and step 1", got)
		}
	})

	t.Run("concurrent inserts of one step: exactly one wins", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_msgrace", "cus_1"))
		const writers = 8
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for range writers {
			wg.Go(func() {
				errs <- s.Tx(t.Context(), func(tx recoup.Tx) error {
					m := fullMessage(c, 0)
					return tx.InsertMessage(&m)
				})
			})
		}
		wg.Wait()
		close(errs)
		won := 0
		for err := range errs {
			switch recoup.ErrorCode(err) {
			case "":
				won++
			case recoup.ECONFLICT:
			default:
				t.Errorf("concurrent InsertMessage: %v", err)
			}
		}
		got, err := s.Messages(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if won != 1 || len(got) != 1 {
			t.Fatalf("%d of %d inserts won and %d messages are stored; want 1 and 1", won, writers, len(got))
		}
	})

	t.Run("invalid messages are refused", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_msgbad", "cus_1"))
		valid := recoup.Message{CaseID: c.ID, Channel: "email", Status: recoup.MessagePending}
		for name, change := range map[string]func(m *recoup.Message){
			"no case":        func(m *recoup.Message) { m.CaseID = 0 },
			"no channel":     func(m *recoup.Message) { m.Channel = "" },
			"negative step":  func(m *recoup.Message) { m.Step = -1 },
			"unknown status": func(m *recoup.Message) { m.Status = "lost" },
		} {
			m := valid
			change(&m)
			err := s.Tx(t.Context(), func(tx recoup.Tx) error { return tx.InsertMessage(&m) })
			if recoup.ErrorCode(err) != recoup.EINVALID {
				t.Errorf("InsertMessage of a message with %s: %v, want %s", name, err, recoup.EINVALID)
			}
		}
		mustTx(t, s, func(tx recoup.Tx) error { return tx.InsertMessage(&valid) })
		bad := valid
		bad.Status = "lost"
		err := s.Tx(t.Context(), func(tx recoup.Tx) error { return tx.UpdateMessage(&bad) })
		wantCode(t, err, recoup.EINVALID)
		got, err := s.Messages(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "messages", []recoup.Message{valid}, got)
	})

	t.Run("messages of a missing case or message are not found", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		c := createCase(t, s, minimalCase("in_nomsg", "cus_1"))
		got, err := s.Messages(t.Context(), c.ID)
		if err != nil || len(got) != 0 {
			t.Fatalf("Messages of a case without messages: %v, %v; want none and no error", got, err)
		}
		_, err = s.Messages(t.Context(), 424242)
		wantCode(t, err, recoup.ENOTFOUND)
		err = s.Tx(t.Context(), func(tx recoup.Tx) error {
			_, err := tx.Messages(424242)
			return err
		})
		wantCode(t, err, recoup.ENOTFOUND)
		err = s.Tx(t.Context(), func(tx recoup.Tx) error {
			return tx.InsertMessage(&recoup.Message{CaseID: 424242, Channel: "email", Status: recoup.MessagePending})
		})
		wantCode(t, err, recoup.ENOTFOUND)
		err = s.Tx(t.Context(), func(tx recoup.Tx) error {
			m := fullMessage(c, 0)
			m.ID = 424242
			return tx.UpdateMessage(&m)
		})
		wantCode(t, err, recoup.ENOTFOUND)
	})
}

// fullMessage returns a sent message of c at the step with every field set but Error, which
// the round-trip test sets by an update.
func fullMessage(c recoup.Case, step int) recoup.Message {
	return recoup.Message{
		CaseID:     c.ID,
		InvoiceID:  c.InvoiceID,
		CustomerID: c.CustomerID,
		Step:       step,
		Channel:    "email",
		Template:   "final_notice",
		Tone:       "final",
		To:         "ada@example.com",
		Subject:    "Last chance: your subscription ends Friday",
		Text:       "Hello Ada,\n\nwe could not charge your card «4242».\n",
		HTML:       "<p>Hello Ada,</p>\n<p>we could not charge your card «4242».</p>\n",
		Status:     recoup.MessageSent,
		CreatedAt:  base.Add(2 * time.Hour),
		SentAt:     base.Add(2*time.Hour + time.Second),
		// The personalization audit: a rejected generation kept beside the template sent.
		Fallback:       "promise",
		FallbackReason: "the guardrails rejected the model's text: promise: \"20% off\"",
		Generation:     `{"subject": "Hi Ada", "body": "Get 20% off: {{update_link}}"}`,
		Model:          "claude-haiku-4-5",
	}
}
