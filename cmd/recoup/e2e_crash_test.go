package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// childEnv, when set in the environment, makes the test binary run `recoup serve` (configured
// by the environment) instead of the tests: the process a crash test kills with SIGKILL.
const childEnv = "RECOUP_E2E_SERVE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		if err := run(context.Background(), []string{"serve"}, os.Stdout, os.Exit); err != nil {
			fmt.Fprintln(os.Stderr, "recoup:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startChild runs `recoup serve` in a separate process on dbURL, its webhooks from the fake,
// and returns it once it is ready, with its base URL.
func (w *world) startChild(dbURL string) (*exec.Cmd, string) {
	t := w.t
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logs := &lockedBuffer{}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1",
		"STRIPE_SECRET_KEY=sk_test_e2e", "STRIPE_API_BASE="+w.fake.URL(), "STRIPE_WEBHOOK_SECRET="+e2eSecret,
		"DATABASE_URL="+dbURL, "RECOUP_LISTEN="+addr, "RECOUP_ADMIN_TOKEN="+e2eToken, "RECOUP_RECONCILE_EVERY=0")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("the killed process's log:\n%s", logs.String())
		}
	})
	url := "http://" + addr
	deadline := time.After(45 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if res, err := http.Get(url + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return cmd, url
			}
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("recoup serve in a child process never became ready:\n%s", logs.String())
		}
	}
}

// A process killed (SIGKILL) while it works on acknowledged events loses none of them: the
// next process started on the database rescues their jobs and opens the cases. The rescue
// delay is shortened here to seconds (jobs.TestDefaultRescueDelayFitsTheRestartBudget holds
// the default to the three-minute promise).
func TestE2EKilledProcessLosesNoAcknowledgedEvent(t *testing.T) {
	slow(t)
	w := newWorld(t)
	db := sqliteURL(t)
	child, url := w.startChild(db)

	// The child acknowledges the webhook, and its job then waits on Stripe's answer.
	w.fake.HangRequests(http.MethodGet, "/v1/invoices/")
	w.fake.SetWebhook(url+"/webhooks/stripe", e2eSecret)
	r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: "crash@example.com", AmountDue: 1500,
		Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	if err := w.fake.WaitHanging(ctx, 1); err != nil {
		t.Fatalf("the child never read the invoice: %v", err)
	}

	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	w.fake.StopHanging()

	p := w.start(db, func(c *ServeCmd) { c.jobTimeout, c.rescueAfter = time.Second, 2*time.Second })
	v := p.waitState(r.InvoiceID, recoup.StateScheduled)
	if v.Case.Amount.Amount != 1500 {
		t.Errorf("case %+v, want the invoice's 1500", v.Case)
	}
}
