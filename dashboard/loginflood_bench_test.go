package dashboard_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/dashboard"
)

// BenchmarkLoginFlood replays the attacks of issue 19 (items 1 and 2) on the dashboard's login
// handler, in process, each request from a chosen client address (RemoteAddr), and reports what
// they cost: the process's peak RSS and Go heap, and the password checks performed (a 401 is a
// check that failed; 429 and 503 are refusals before any hashing). Run each case in its own
// process, since the peak RSS is the process's high-water mark:
//
//	go test ./dashboard -run '^$' -bench 'LoginFlood/memory' -benchtime 1x
//	go test ./dashboard -run '^$' -bench 'LoginFlood/one_address' -benchtime 1x
//	go test ./dashboard -run '^$' -bench 'LoginFlood/five_addresses' -benchtime 1x
//
// LOGINFLOOD_CONCURRENCY=n sets Config.MaxConcurrentLogins, to see the attempt limits alone
// with the bound on concurrent checks out of the way. Results are in docs/benchmarks.md.
func BenchmarkLoginFlood(b *testing.B) {
	cases := []struct {
		name      string
		logins    int
		addresses int
		email     func(i int) string
	}{
		// 200 concurrent logins for unknown emails from 10 addresses.
		{"memory", 200, 10, func(i int) string { return fmt.Sprintf("nobody%d@example.com", i) }},
		// 20 concurrent guesses at one account from one address.
		{"one_address", 20, 1, func(int) string { return "admin@example.com" }},
		// 100 concurrent guesses at one account from 5 addresses.
		{"five_addresses", 100, 5, func(int) string { return "admin@example.com" }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				e := newEnv(b, func(c *dashboard.Config) {
					c.MaxConcurrentLogins, _ = strconv.Atoi(os.Getenv("LOGINFLOOD_CONCURRENCY"))
				})
				h := e.dash.Handler()
				rssBefore := vmHWM(b)
				b.StartTimer()
				stop := make(chan struct{})
				peakHeap := make(chan uint64)
				go samplePeakHeap(stop, peakHeap)
				start := make(chan struct{})
				statuses := make([]int, tc.logins)
				var wg sync.WaitGroup
				for i := range tc.logins {
					wg.Go(func() {
						form := url.Values{"csrf": {"flood"}, "email": {tc.email(i)}, "password": {fmt.Sprintf("guess number %d", i)}}
						r := httptest.NewRequest("POST", "/ui/login", strings.NewReader(form.Encode()))
						r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
						r.AddCookie(&http.Cookie{Name: "recoup_login", Value: "flood"})
						r.RemoteAddr = fmt.Sprintf("10.0.0.%d:4000", i%tc.addresses+1)
						w := httptest.NewRecorder()
						<-start
						h.ServeHTTP(w, r)
						statuses[i] = w.Code
					})
				}
				close(start)
				wg.Wait()
				close(stop)
				heap := <-peakHeap
				b.StopTimer()
				count := map[int]int{}
				for _, s := range statuses {
					count[s]++
				}
				b.ReportMetric(float64(count[http.StatusUnauthorized]), "checks")
				b.ReportMetric(float64(count[http.StatusTooManyRequests]), "refused-429")
				b.ReportMetric(float64(count[http.StatusServiceUnavailable]), "refused-503")
				b.ReportMetric(float64(rssBefore)/(1<<20), "rss-before-MiB")
				b.ReportMetric(float64(vmHWM(b))/(1<<20), "peak-rss-MiB")
				b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
				b.StartTimer()
			}
		})
	}
}

// samplePeakHeap reads the Go heap's size (objects in use) every millisecond until stop is
// closed, then sends the largest it saw.
func samplePeakHeap(stop <-chan struct{}, peak chan<- uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var max uint64
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for {
		metrics.Read(s)
		max = maxOf(max, s[0].Value.Uint64())
		select {
		case <-stop:
			peak <- max
			return
		case <-t.C:
		}
	}
}

func maxOf(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// vmHWM is the process's peak resident set size in bytes (Linux's VmHWM).
func vmHWM(b *testing.B) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status: peak RSS is measured on Linux only")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}
