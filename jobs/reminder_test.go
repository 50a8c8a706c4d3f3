package jobs

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/recoup-hq/recoup"
)

// Invoice reminders: unique per invoice and day (day 0 and negative days included), refused
// without an invoice, and read back as they were inserted.
func TestInvoiceReminderArgs(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	reminder := func(id string, day int) recoup.Job {
		return recoup.Job{Kind: recoup.JobInvoiceReminder, InvoiceID: id, Seq: day}
	}
	got, err := insertParams([]recoup.Job{reminder("in_1", -3), reminder("in_1", 0), reminder("in_1", -3), reminder("in_2", 0)}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []river.JobArgs{invoiceReminderArgs{"in_1", -3}, invoiceReminderArgs{"in_1", 0}, invoiceReminderArgs{"in_2", 0}}
	if len(got) != len(want) {
		t.Fatalf("params %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Args != want[i] {
			t.Errorf("param %d = %+v, want %+v", i, got[i].Args, want[i])
		}
	}
	if _, err := insertParams([]recoup.Job{{Kind: recoup.JobInvoiceReminder, Seq: 1}}, now); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Errorf("a reminder without an invoice: %v", err)
	}
	for _, day := range []int{-3, 0, 7} {
		args := invoiceReminderArgs{InvoiceID: "in_1", Seq: day}
		encoded, _ := json.Marshal(args)
		j, err := jobOf(&rivertype.JobRow{Kind: args.Kind(), EncodedArgs: encoded})
		if err != nil || j != reminder("in_1", day) {
			t.Errorf("jobOf(%s) = %+v, %v", encoded, j, err)
		}
	}
}
