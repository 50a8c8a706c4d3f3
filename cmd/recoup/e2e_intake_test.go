package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/sqlite"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// A process killed (SIGKILL) while concurrent deliveries are being committed together (the
// SQLite store's group commit) has every delivery it acknowledged on disk, with its job: an
// answer 200 is sent only once the group holding the event has committed.
func TestE2EKilledDuringIntakeLosesNoAcknowledgedEvent(t *testing.T) {
	w := newWorld(t)
	dbURL := sqliteURL(t)
	child, url := w.startChild(dbURL)
	// The jobs that start wait on Stripe: the database keeps them as they were enqueued.
	w.fake.HangRequests(http.MethodGet, "/")
	defer w.fake.StopHanging()

	const clients, killAfter = 16, 300
	var mu sync.Mutex
	var acked []string
	enough := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("evt_kill_%d_%d", c, i)
				body := fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":"2026-08-26.dahlia","type":"invoice.payment_failed","created":%d,"livemode":false,"data":{"object":{"id":"in_%s","object":"invoice","customer":"cus_%d"}}}`,
					id, time.Now().Unix(), id, c)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/webhooks/stripe", bytes.NewReader(body))
				req.Header.Set("Stripe-Signature", stripefake.SignatureHeader(body, time.Now(), e2eSecret))
				res, err := client.Do(req)
				if err != nil {
					return // the process is gone
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					continue
				}
				mu.Lock()
				acked = append(acked, id)
				if len(acked) == killAfter {
					close(enough)
				}
				mu.Unlock()
			}
		})
	}
	select {
	case <-enough:
	case <-ctx.Done():
		t.Fatal("the child never acknowledged enough deliveries")
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()

	db, err := sqlite.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lost := 0
	for _, id := range acked {
		var events, jobs int
		err := db.SQL().QueryRowContext(context.Background(), `SELECT
			(SELECT count(*) FROM events WHERE id = ?1),
			(SELECT count(*) FROM river_job WHERE kind = 'process_event' AND json_extract(args, '$.event_id') = ?1)`, id).Scan(&events, &jobs)
		if err != nil {
			t.Fatal(err)
		}
		if events != 1 || jobs != 1 {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged %s: %d events, %d jobs on disk, want one of each", id, events, jobs)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged deliveries lost", lost, len(acked))
	}
	t.Logf("%d deliveries acknowledged before the kill, all on disk", len(acked))
}
