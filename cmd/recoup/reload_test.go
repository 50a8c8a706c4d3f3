package main

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/policy"
)

type holder struct {
	mu sync.Mutex
	p  *policy.Policy
}

func (h *holder) Policy() *policy.Policy     { h.mu.Lock(); defer h.mu.Unlock(); return h.p }
func (h *holder) SetPolicy(p *policy.Policy) { h.mu.Lock(); defer h.mu.Unlock(); h.p = p }

// A reload puts a valid changed file in force, and keeps the policy in force when the new file
// is invalid, logging its problems once.
func TestReloadKeepsThePolicyOnFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("final_action: leave_past_due\n")
	first, err := policy.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := &holder{p: first}
	var logs bytes.Buffer
	hup := make(chan os.Signal, 1)
	checked := make(chan error)
	r := &reloader{path: path, holder: h, log: slog.New(slog.NewTextHandler(&logs, nil)), checked: checked}
	go r.run(t.Context(), hup, nil)
	reload := func() error {
		hup <- syscall.SIGHUP
		return <-checked
	}

	if err := reload(); !errors.Is(err, errUnchanged) || h.Policy() != first {
		t.Fatalf("unchanged file: %v", err)
	}
	write("final_action: cancel_subscription\nsegments:\n  - {name: big, when: invoice.amount_due > 100000}\n")
	if err := reload(); err != nil || h.Policy().FinalAction != "cancel_subscription" || len(h.Policy().Segments) != 1 {
		t.Fatalf("valid change: %v, policy %+v", err, h.Policy())
	}
	good := h.Policy()

	write("final_action: shred\nsegments:\n  - {name: big, when: invoice.amount_due > \"x\"}\n")
	var pe *policy.Error
	if err := reload(); !errors.As(err, &pe) || h.Policy() != good {
		t.Fatalf("invalid file: %v; the policy in force changed to %s", err, h.Policy().Version)
	}
	for _, want := range []string{"policy reload refused", `unknown final action \"shred\"`, "keeping the policy in force", "policy_version=" + good.Version} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	// A poll that sees the same invalid content again does not log it again.
	n := strings.Count(logs.String(), "policy reload refused")
	if err := r.check(); !errors.Is(err, errUnchanged) || strings.Count(logs.String(), "policy reload refused") != n {
		t.Fatalf("second check of the same bad file: %v\n%s", err, logs.String())
	}

	os.Remove(path)
	if err := reload(); err == nil || h.Policy() != good {
		t.Fatalf("missing file: %v", err)
	}
	write("final_action: mark_uncollectible\n")
	if err := reload(); err != nil || h.Policy().FinalAction != "mark_uncollectible" {
		t.Fatalf("fixed file: %v", err)
	}
}

// pollBy runs r with poll ticks the test sends: each call of the function it returns is one
// poll, and returns that poll's outcome.
func pollBy(t *testing.T, r *reloader) func() error {
	t.Helper()
	tick := make(chan time.Time)
	checked := make(chan error)
	r.checked = checked
	go r.run(t.Context(), nil, tick)
	return func() error {
		tick <- time.Time{}
		return <-checked
	}
}

// replaceFile writes path's new content the way editors and configuration management do: to a
// temporary file beside it, renamed over it, so that no reader sees it half-written.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// The poll finds a change without a signal.
func TestReloadPollsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	replaceFile(t, path, "final_action: leave_past_due\n")
	p, err := policy.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := &holder{p: p}
	poll := pollBy(t, &reloader{path: path, holder: h, log: slog.New(slog.DiscardHandler)})
	if err := poll(); !errors.Is(err, errUnchanged) || h.Policy() != p {
		t.Fatalf("unchanged file: %v", err)
	}
	replaceFile(t, path, "mode: observe\n")
	// The first poll to read the new content waits for the next to read it again.
	if err := poll(); !errors.Is(err, errSettling) || h.Policy() != p {
		t.Fatalf("first poll of the change: %v", err)
	}
	if err := poll(); err != nil || !h.Policy().Observing() {
		t.Fatalf("the polled change is not in force: %v", err)
	}
	if err := poll(); !errors.Is(err, errUnchanged) {
		t.Fatalf("the poll after the change: %v", err)
	}
}

// An editor that writes the file in place (truncates it, then writes the new content in
// pieces) leaves moments in which the file holds only part of the new policy, often a valid one
// on its own: a poll must not put it in force, nor log it as refused. Neither must a poll that
// finds the file missing for a moment (an editor that moves the old file away first) log it.
func TestReloadPollWaitsForTheFileToSettle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	replaceFile(t, path, "final_action: leave_past_due\n")
	first, err := policy.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := &holder{p: first}
	var logs bytes.Buffer
	poll := pollBy(t, &reloader{path: path, holder: h, log: slog.New(slog.NewTextHandler(&logs, nil))})
	poll()

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, piece := range []string{"", "final_action: cancel_subscription\n", "mode: ob"} {
		if _, err := f.WriteString(piece); err != nil {
			t.Fatal(err)
		}
		poll()
		if h.Policy() != first {
			t.Fatalf("the half-written file %q was put in force", piece)
		}
	}
	if _, err := f.WriteString("serve\n"); err != nil {
		t.Fatal(err)
	}
	poll()
	if err := poll(); err != nil || !h.Policy().Observing() || h.Policy().FinalAction != "cancel_subscription" {
		t.Fatalf("the written file is not in force: %v", err)
	}
	written := h.Policy()

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	poll()
	replaceFile(t, path, "mode: observe\nfinal_action: cancel_subscription\n")
	poll()
	if err := poll(); err != nil || h.Policy().FinalAction != "cancel_subscription" || h.Policy() == written {
		t.Fatalf("the file moved back is not in force: %v", err)
	}
	if logs.Len() > 0 && strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("a passing state of the file was logged:\n%s", logs.String())
	}

	// A file that stays missing, or invalid, is reported (once).
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	poll()
	if err := poll(); err == nil || !strings.Contains(logs.String(), "cannot read the policy file") {
		t.Fatalf("a missing file: %v\n%s", err, logs.String())
	}
	replaceFile(t, path, "final_action: shred\n")
	poll()
	poll()
	poll()
	if n := strings.Count(logs.String(), "policy reload refused"); n != 1 {
		t.Fatalf("an invalid file logged %d times:\n%s", n, logs.String())
	}
}

func TestServeRefusesToStartWithAnInvalidPolicy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	os.WriteFile(path, []byte("retry:\n  hour: 25\n"), 0o600)
	t.Setenv("STRIPE_SECRET_KEY", "sk_test_123")
	t.Setenv("STRIPE_WEBHOOK_SECRET", "whsec_123")
	err := run(t.Context(), []string{"serve", "--policy", path, "--listen", "127.0.0.1:0"}, &bytes.Buffer{}, func(int) {})
	if err == nil || !strings.Contains(err.Error(), "RECOUP_POLICY") || !strings.Contains(err.Error(), "retry.hour: hour must be 0-23") {
		t.Fatalf("err %v", err)
	}
}

// A reload checks the file as policy check does: every problem logged, in the order of the
// file, an empty file refused, and the campaign may name the template directory's templates
// (the options serve passes), not others.
func TestReloadLogsEveryProblem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("final_action: leave_past_due\n")
	good, err := policy.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := &holder{p: good}
	var logs bytes.Buffer
	opts := policy.Options{Templates: append(policy.BuiltinTemplates(), "win_back")}
	r := &reloader{path: path, opts: opts, holder: h, log: slog.New(slog.NewTextHandler(&logs, nil))}

	write("retyr: {hour: 3}\nfinal_action: shred\ncampaign:\n  steps:\n    - {day: 0, template: update_crad}\n")
	if err := r.check(); err == nil || h.Policy() != good {
		t.Fatalf("invalid file: %v", err)
	}
	var refused []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if _, p, ok := strings.Cut(line, "problem="); ok && strings.Contains(line, "policy reload refused") {
			refused = append(refused, p)
		}
	}
	want := []string{`retyr: unknown key \"retyr\"`, `final_action: unknown final action \"shred\"`, `template: unknown template \"update_crad\" (did you mean \"update_card\"?)`}
	if len(refused) != len(want) {
		t.Fatalf("logged problems %q, want %d:\n%s", refused, len(want), logs.String())
	}
	for i, w := range want {
		if !strings.Contains(refused[i], w) {
			t.Errorf("problem %d: %s, want it to contain %s", i, refused[i], w)
		}
	}

	write("# nothing yet\n")
	if err := r.check(); err == nil || h.Policy() != good || !strings.Contains(logs.String(), "the policy file is empty") {
		t.Fatalf("empty file: %v\n%s", err, logs.String())
	}
	write("campaign:\n  steps:\n    - {day: 0, template: win_back}\n")
	if err := r.check(); err != nil || h.Policy().Campaign.Steps[0].Template != "win_back" {
		t.Fatalf("a template of the directory: %v", err)
	}
}
