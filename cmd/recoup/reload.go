package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// policyHolder is the engine's side of a policy reload.
type policyHolder interface {
	Policy() *policy.Policy
	SetPolicy(*policy.Policy)
}

// reloader puts a changed policy file in force without a restart, on SIGHUP and when a poll
// sees the file's content change (fsnotify is not among the vetted dependencies, and a poll of
// one small file is cheap). An invalid file is refused with its problems logged, and the policy
// in force stays; each refused content is logged once, not at every poll.
type reloader struct {
	path    string
	opts    policy.Options // what the file is checked against, as at start
	holder  policyHolder
	log     *slog.Logger
	refused [sha256.Size]byte
	// checked, if set, receives the outcome of every check (tests wait on it instead of sleeping).
	checked chan<- error
	// changed, if set, is called with each policy put in force (to record its version).
	changed func(*policy.Policy)
}

// errUnchanged reports a check that found the policy in force.
var errUnchanged = errors.New("policy file unchanged")

// check loads the file and puts it in force if it is valid and differs from the policy in force.
func (r *reloader) check() error {
	src, err := os.ReadFile(r.path)
	if err != nil {
		r.log.Error("policy reload: cannot read the policy file; keeping the policy in force", "path", r.path, "error", err)
		return err
	}
	sum := sha256.Sum256(src)
	if sum == r.refused {
		return errUnchanged // refused already and logged
	}
	p, err := policy.ParseWith(r.path, src, r.opts)
	if err != nil {
		r.refused = sum
		var pe *policy.Error
		if errors.As(err, &pe) {
			for _, prob := range pe.Problems {
				r.log.Error("policy reload refused", "problem", prob.String())
			}
		}
		r.log.Error("policy reload: invalid policy file; keeping the policy in force", "path", r.path,
			"policy_version", r.holder.Policy().Version, "error", err)
		return err
	}
	cur := r.holder.Policy()
	if p.Version == cur.Version {
		return errUnchanged
	}
	r.holder.SetPolicy(p)
	if r.changed != nil {
		r.changed(p)
	}
	r.log.Info("policy reloaded", "path", r.path, "from_version", cur.Version, "policy_version", p.Version,
		"mode", string(p.Mode), "segments", len(p.Segments))
	return nil
}

// run checks the file on every signal and every poll tick until ctx ends. every <= 0 turns
// polling off (SIGHUP still reloads).
func (r *reloader) run(ctx context.Context, hup <-chan os.Signal, every time.Duration) {
	var tick <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			r.log.Info("SIGHUP: reloading the policy file", "path", r.path)
			r.refused = [sha256.Size]byte{} // an explicit reload reports even a known-bad file again
		case <-tick:
		}
		err := r.check()
		if r.checked != nil {
			select {
			case r.checked <- err:
			case <-ctx.Done():
				return
			}
		}
	}
}

// watchPolicy reloads the policy file into the engine on SIGHUP and on change, until ctx ends.
func (a *app) watchPolicy(ctx context.Context, path string, opts policy.Options, every time.Duration) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	r := &reloader{path: path, opts: opts, holder: a.engine, log: a.log, changed: func(p *policy.Policy) { a.recordPolicy(ctx, p) }}
	go func() {
		defer signal.Stop(hup)
		r.run(ctx, hup, every)
	}()
}

// recordPolicy adds the policy put in force to the history the dashboard's policy page shows,
// when the store keeps one. A failure is logged: the policy runs all the same.
func (a *app) recordPolicy(ctx context.Context, p *policy.Policy) {
	h, ok := a.backend.store.(recoup.PolicyHistory)
	if !ok || p == nil {
		return
	}
	if err := h.RecordPolicyVersion(ctx, p.Version, string(p.Source), a.clock.Now()); err != nil {
		a.log.Warn("record the policy version", "policy_version", p.Version, "error", err)
	}
}
