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
	go r.run(t.Context(), hup, 0)
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

// The poll finds a change without a signal.
func TestReloadPollsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	os.WriteFile(path, []byte("final_action: leave_past_due\n"), 0o600)
	p, _ := policy.Load(path)
	h := &holder{p: p}
	checked := make(chan error)
	r := &reloader{path: path, holder: h, log: slog.New(slog.DiscardHandler), checked: checked}
	go r.run(t.Context(), nil, 1) // every nanosecond: the test waits on checks, not on time
	os.WriteFile(path, []byte("mode: observe\n"), 0o600)
	for err := range checked {
		if err == nil {
			break
		}
	}
	if !h.Policy().Observing() {
		t.Fatal("the polled change is not in force")
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
