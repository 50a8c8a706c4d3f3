package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup/internal/pgtest"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// BenchmarkMonthStartBurst is issue 22's scale benchmark: 1, 2 and 4 `recoup serve` processes
// (separate OS processes) on one PostgreSQL database, against the stateful fake Stripe with
// 150 ms per API request and Stripe's live-mode limit of 100 requests a second, take a burst
// of invoice.payment_failed webhooks (RECOUP_BURST_EVENTS, default 1,000), delivered 16 at a
// time round-robin across the processes, as fast as they are acknowledged. It reports the
// events per second through intake, the seconds until every case is planned (has its next
// action), the p99 acknowledgement, PostgreSQL's CPU seconds over the run (its processes'
// user + system time from /proc; the server must run on this machine) and the cases, which
// must be one per invoice. Report: docs/benchmarks.md.
//
//	RECOUP_TEST_DATABASE_URL=postgres://... RECOUP_BURST_EVENTS=100000 \
//	  go test ./cmd/recoup -run '^$' -bench MonthStartBurst -benchtime 1x -timeout 0
func BenchmarkMonthStartBurst(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("RECOUP_BURST_EVENTS")); err == nil && v > 0 {
		n = v
	}
	procs := []int{1, 2, 4}
	if v := os.Getenv("RECOUP_BURST_PROCS"); v != "" {
		procs = nil
		for f := range strings.SplitSeq(v, ",") {
			p, err := strconv.Atoi(f)
			if err != nil || p < 1 {
				b.Fatalf("RECOUP_BURST_PROCS=%q: want numbers of processes, comma-separated", v)
			}
			procs = append(procs, p)
		}
	}
	for _, p := range procs {
		b.Run(fmt.Sprintf("processes=%d", p), func(b *testing.B) {
			for b.Loop() {
				monthStartBurst(b, n, p)
			}
		})
	}
}

func monthStartBurst(b *testing.B, n, procs int) {
	dsn := pgtest.DSN(b)
	fake := stripefake.New(stripefake.Options{Latency: 150 * time.Millisecond, RateLimit: 100}).Start()
	defer fake.Close()
	fake.SetAutoDeliver(false)
	for i := range n {
		if _, err := fake.NewFailedRenewal(stripefake.RenewalParams{Email: fmt.Sprintf("c%d@example.com", i), AmountDue: int64(1000 + i%5000),
			Decline: stripefake.CardDeclined("insufficient_funds")}); err != nil {
			b.Fatal(err)
		}
	}
	var urls []string
	for i := range procs {
		urls = append(urls, startServeChild(b, dsn, fake.URL(), i))
	}
	conn, err := pgx.Connect(b.Context(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	cpu0 := postgresCPU(b)
	start := time.Now()
	st := deliverBurstTo(b, fake, urls, 16, 1)
	if st.failed > 0 {
		b.Fatalf("%d of %d deliveries not acknowledged", st.failed, st.events)
	}
	var planned int
	for planned < n {
		if err := conn.QueryRow(b.Context(), `SELECT count(*) FROM cases WHERE next_at IS NOT NULL`).Scan(&planned); err != nil {
			b.Fatal(err)
		}
		if planned < n {
			time.Sleep(100 * time.Millisecond) // polling another process's progress
		}
	}
	toPlanned := time.Since(start)
	cpu := postgresCPU(b) - cpu0
	var cases, invoices, events int
	if err := conn.QueryRow(b.Context(), `SELECT count(*), count(DISTINCT invoice_id), (SELECT count(*) FROM events) FROM cases`).Scan(&cases, &invoices, &events); err != nil {
		b.Fatal(err)
	}
	if cases != n || invoices != n || events != n {
		b.Errorf("%d cases of %d invoices from %d events, want %d of each", cases, invoices, events, n)
	}
	b.ReportMetric(float64(st.events)/st.elapsed.Seconds(), "intake-events/s")
	b.ReportMetric(toPlanned.Seconds(), "s-to-planned")
	b.ReportMetric(float64(st.p99.Microseconds())/1000, "p99-ack-ms")
	b.ReportMetric(cpu.Seconds(), "db-cpu-s")
	b.ReportMetric(float64(cases), "cases")
}

// startServeChild runs `recoup serve` (this test binary, as TestMain's child) on dsn against the
// fake Stripe at api, its logs in a file of the benchmark's directory, and returns its URL once
// it is ready. It is killed when the benchmark ends.
func startServeChild(b *testing.B, dsn, api string, i int) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logs, err := os.Create(filepath.Join(b.TempDir(), fmt.Sprintf("serve%d.log", i)))
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1",
		"STRIPE_SECRET_KEY=sk_test_bench", "STRIPE_API_BASE="+api, "STRIPE_WEBHOOK_SECRET="+e2eSecret,
		"DATABASE_URL="+dsn, "RECOUP_LISTEN="+addr, "RECOUP_ADMIN_TOKEN="+e2eToken, "RECOUP_RECONCILE_EVERY=0",
		"RECOUP_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logs.Close()
	})
	url := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return url
			}
		}
		time.Sleep(100 * time.Millisecond) // waiting for another process to listen
	}
	b.Fatalf("recoup serve %d never became ready (log: %s)", i, logs.Name())
	return ""
}

// postgresCPU is the user + system CPU time of this machine's processes named postgres.
func postgresCPU(b *testing.B) time.Duration {
	b.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	var ticks int64
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		s := string(stat)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || s[open+1:end] != "postgres" {
			continue
		}
		f := strings.Fields(s[end+2:])
		// After the command: state is field 3 of stat; utime and stime are 14 and 15.
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}
