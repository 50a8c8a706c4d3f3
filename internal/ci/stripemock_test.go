package ci

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// script is .ci/stripe-mock, from this package's directory.
const script = "../../.ci/stripe-mock"

// stripeMockInstalled skips the test when stripe-mock is not installed and CI is not set: the
// script would install it, which a plain `go test` should not do. .ci/run installs it first.
func stripeMockInstalled(t *testing.T) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		return
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		t.Skipf("go env: %v", err)
	}
	dirs := strings.Split(strings.TrimSpace(string(out)), "\n")
	bin := dirs[0]
	if bin == "" && len(dirs) > 1 {
		bin = filepath.Join(dirs[1], "bin")
	}
	if _, err := os.Stat(filepath.Join(bin, "stripe-mock")); err != nil {
		t.Skip("stripe-mock is not installed (.ci/run installs it)")
	}
}

// run runs the script with env added to the environment less STRIPE_MOCK_URL, and returns
// its stdout's KEY=VALUE lines, its stderr and its error.
func run(t *testing.T, env ...string) (map[string]string, string, error) {
	t.Helper()
	cmd := exec.Command("bash", script)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STRIPE_MOCK_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	vars := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			vars[k] = v
		}
	}
	return vars, stderr.String(), err
}

// stopLater stops the stripe-mock the script started, when the test ends.
func stopLater(t *testing.T, vars map[string]string) {
	t.Helper()
	pid, err := strconv.Atoi(vars["STRIPE_MOCK_PID"])
	if err != nil {
		t.Fatalf("the script started stripe-mock without saying its pid: %v", vars)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGTERM) })
}

// isStripeMock reports whether url answers as stripe-mock, which names itself in a header.
func isStripeMock(t *testing.T, url string) bool {
	t.Helper()
	resp, err := http.Get(url + "/v1/charges")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.Header.Get("Stripe-Mock-Version") != ""
}

// listen holds addr for the test, or reports that something else already does.
func listen(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return // taken already: the condition the test wants
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
}

// With stripe-mock's default HTTPS port held and another server where stripe-mock is looked
// for first, the script starts its own on ports the system picks and says where: left to
// itself, stripe-mock binds :12112 and dies when it is taken, and anything answering on 12111
// used to be taken for it.
func TestStripeMockStartsWhateverHoldsItsPorts(t *testing.T) {
	stripeMockInstalled(t)
	listen(t, "127.0.0.1:12112")
	other := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go other.Serve(ln)
	t.Cleanup(func() { other.Close() })

	vars, stderr, err := run(t, "STRIPE_MOCK_DEFAULT="+ln.Addr().String())
	if err != nil {
		t.Fatalf("the script failed: %v\n%s", err, stderr)
	}
	stopLater(t, vars)
	url := vars["STRIPE_MOCK_URL"]
	if url == "http://"+ln.Addr().String() || !isStripeMock(t, url) {
		t.Fatalf("STRIPE_MOCK_URL=%s is not a stripe-mock (the other server is at %s)", url, ln.Addr())
	}

	// A stripe-mock already there is used as it is, and nothing is started.
	again, stderr, err := run(t, "STRIPE_MOCK_URL="+url)
	if err != nil || again["STRIPE_MOCK_URL"] != url || again["STRIPE_MOCK_PID"] != "" {
		t.Fatalf("with a stripe-mock at %s: %v %v\n%s", url, again, err, stderr)
	}
}

// A STRIPE_MOCK_URL that is not stripe-mock is an error that names it, not a silent start of
// another one.
func TestStripeMockRefusesAnotherServerItWasSentTo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	other := &http.Server{Handler: http.NotFoundHandler()}
	go other.Serve(ln)
	t.Cleanup(func() { other.Close() })
	url := "http://" + ln.Addr().String()
	_, stderr, err := run(t, "STRIPE_MOCK_URL="+url)
	if err == nil || !strings.Contains(stderr, "STRIPE_MOCK_URL="+url+" does not answer as stripe-mock") {
		t.Fatalf("err %v, stderr %q: want the URL named as not stripe-mock", err, stderr)
	}
}
