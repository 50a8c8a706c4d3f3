package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/expreport"
	"github.com/recoup-hq/recoup/policy"
)

// policyHolder is the engine's side of a policy reload.
type policyHolder interface {
	Policy() *policy.Policy
	SetPolicy(*policy.Policy)
}

// reloader puts a changed policy file in force without a restart, on SIGHUP and when polls
// see the file's content change (fsnotify is not among the vetted dependencies, and a poll of
// one small file is cheap). An invalid file is refused with its problems logged, and the policy
// in force stays; each refused content is logged once, not at every poll.
//
// A poll may read the file while it is being written: an editor that writes in place truncates
// it and writes the new content in pieces, and a piece (the first lines of the new policy) is
// often a valid policy on its own, which would then decide cases until the next poll. So a poll
// acts only on what the poll before it read too: a content is put in force, or refused, once
// two polls in a row (at least a second apart) read it, and a file missing at one poll only (an
// editor moving the old file away before writing the new one) is not reported. SIGHUP is the
// operator saying the file is ready: it acts at once.
type reloader struct {
	path    string
	opts    policy.Options // what the file is checked against, as at start
	holder  policyHolder
	log     *slog.Logger
	refused [sha256.Size]byte
	// seen is the content the last poll read, and unreadable says it could not read the file.
	seen       [sha256.Size]byte
	unreadable bool
	// checked, if set, receives the outcome of every check (tests wait on it instead of sleeping).
	checked chan<- error
	// changed, if set, is called with each policy put in force and the note the history keeps
	// of it (to record its version).
	changed func(p *policy.Policy, note string)
	// file is the policy file as last put in force; the holder may hold another policy made
	// from it (inForce).
	file *policy.Policy
	// inForce, if set, gives the policy new cases follow from the file's: the promoted one
	// once an operator has ended the file's experiment with an arm promoted (expreport.InForce
	// over the store's experiments). Every poll asks it again, so an end recorded by another
	// process (recoup experiment end) is put in force within a poll.
	inForce func(file *policy.Policy) (*policy.Policy, string, error)
}

// errUnchanged reports a check that found the policy in force.
var errUnchanged = errors.New("policy file unchanged")

// errSettling reports a poll that read a content (or an absence) the poll before did not: the
// file may be in the middle of being written, and the next poll decides.
var errSettling = errors.New("policy file changed since the last poll: waiting for it to settle")

// check loads the file and puts it in force if it is valid and differs from the policy in force.
func (r *reloader) check() error {
	src, err := os.ReadFile(r.path)
	if err != nil {
		r.unreadable, r.seen = true, [sha256.Size]byte{}
		return r.unreadableFile(err)
	}
	r.unreadable, r.seen = false, sha256.Sum256(src)
	return r.apply(src, r.seen)
}

// poll is check on a poll tick: it acts only on what the previous poll read too.
func (r *reloader) poll() error {
	src, err := os.ReadFile(r.path)
	if err != nil {
		was := r.unreadable
		r.unreadable, r.seen = true, [sha256.Size]byte{}
		if !was {
			return errSettling
		}
		return r.unreadableFile(err)
	}
	sum := sha256.Sum256(src)
	file := r.file
	if file == nil {
		file = r.holder.Policy()
	}
	if file != nil && bytes.Equal(src, file.Source) {
		r.unreadable, r.seen = false, sum
		return r.put(file)
	}
	if r.unreadable || sum != r.seen {
		r.unreadable, r.seen = false, sum
		return errSettling
	}
	return r.apply(src, sum)
}

// unreadableFile logs that the file cannot be read and returns err.
func (r *reloader) unreadableFile(err error) error {
	r.log.Error("policy reload: cannot read the policy file; keeping the policy in force", "path", r.path, "error", err)
	return err
}

// apply puts src, the file's content, in force if it is valid and differs from the policy in
// force.
func (r *reloader) apply(src []byte, sum [sha256.Size]byte) error {
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
	return r.put(p)
}

// put puts in force the policy the file p gives (inForce), unless it is in force already.
func (r *reloader) put(file *policy.Policy) error {
	p, note := file, ""
	if r.inForce != nil {
		var err error
		if p, note, err = r.inForce(file); err != nil {
			r.log.Error("policy reload: cannot tell whether the file's experiment has ended with an arm promoted; keeping the policy in force",
				"path", r.path, "error", err)
			return err
		}
	}
	r.file = file
	cur := r.holder.Policy()
	if p.Version == cur.Version {
		return errUnchanged
	}
	r.holder.SetPolicy(p)
	if r.changed != nil {
		r.changed(p, note)
	}
	args := []any{"path", r.path, "from_version", cur.Version, "policy_version", p.Version, "mode", string(p.Mode), "segments", len(p.Segments)}
	if note != "" {
		args = append(args, "note", note)
	}
	r.log.Info("policy reloaded", args...)
	return nil
}

// run checks the file on every signal and every poll tick until ctx ends. A nil tick turns
// polling off (SIGHUP still reloads); tests send the ticks themselves.
func (r *reloader) run(ctx context.Context, hup <-chan os.Signal, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			r.log.Info("SIGHUP: reloading the policy file", "path", r.path)
			r.refused = [sha256.Size]byte{} // an explicit reload reports even a known-bad file again
			if !r.report(ctx, r.check()) {
				return
			}
		case <-tick:
			if !r.report(ctx, r.poll()) {
				return
			}
		}
	}
}

// report sends a check's outcome to the test waiting on it, if any; false: ctx ended.
func (r *reloader) report(ctx context.Context, err error) bool {
	if r.checked == nil {
		return true
	}
	select {
	case r.checked <- err:
		return true
	case <-ctx.Done():
		return false
	}
}

// watchPolicy reloads the policy file into the engine on SIGHUP and on change (polled every
// every; 0: SIGHUP only), until ctx ends.
func (a *app) watchPolicy(ctx context.Context, path string, opts policy.Options, every time.Duration) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	r := &reloader{path: path, opts: opts, holder: a.engine, log: a.log, file: a.policy,
		changed: func(p *policy.Policy, note string) { a.recordPolicy(ctx, p, note) },
		inForce: func(file *policy.Policy) (*policy.Policy, string, error) { return a.inForce(ctx, file) }}
	var tick <-chan time.Time
	var ticker *time.Ticker
	if every > 0 {
		ticker = time.NewTicker(every)
		tick = ticker.C
	}
	go func() {
		defer signal.Stop(hup)
		if ticker != nil {
			defer ticker.Stop()
		}
		r.run(ctx, hup, tick)
	}()
}

// inForce returns the policy new cases follow given the policy file: the promoted one once
// the file's experiment has ended with an arm promoted (expreport.InForce).
func (a *app) inForce(ctx context.Context, file *policy.Policy) (*policy.Policy, string, error) {
	er, ok := a.backend.store.(recoup.ExperimentResults)
	if !ok || file == nil || file.Experiment == nil {
		return file, "", nil
	}
	known, err := er.Experiments(ctx)
	if err != nil {
		return nil, "", err
	}
	return expreport.InForce(file, known)
}

// recordPolicy adds the policy put in force to the history the dashboard's policy page shows,
// with its note (where it came from, if not the file as written), when the store keeps one.
// A failure is logged: the policy runs all the same.
func (a *app) recordPolicy(ctx context.Context, p *policy.Policy, note string) {
	h, ok := a.backend.store.(recoup.PolicyHistory)
	if !ok || p == nil {
		return
	}
	if err := h.RecordPolicyVersion(ctx, p.Version, string(p.Source), note, a.clock.Now()); err != nil {
		a.log.Warn("record the policy version", "policy_version", p.Version, "error", err)
	}
}
