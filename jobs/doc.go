// Package jobs runs recoup's durable jobs on River, over SQLite (one process) or PostgreSQL
// (any number of processes sharing the database).
//
// A store enqueues jobs inside its own transaction through Queue.InsertTx, so a job exists
// if and only if the transaction commits. Workers call a Handler (the engine): process_event,
// act and message jobs carry the domain's recoup.Job, and a periodic reconcile job, enqueued by
// River's elected leader every Config.ReconcileEvery and once whenever a leader starts,
// calls Handler.Reconcile.
//
// # Time
//
// Config.Clock is the only clock: every handler call receives its Now, read once per job.
// A non-nil Clock is also given to River (Config.Test.Time), and River then passes its Now to
// every query (the drivers use it instead of the database's clock on both PostgreSQL and
// SQLite), so jobs become available when that clock passes their RunAt and retries are
// scheduled from it. A nil Clock means the wall clock, and River keeps its production time
// source, the database's now(). River v0.47 has three limits a stubbed clock cannot move:
//   - the job scheduler, which turns scheduled and retryable jobs available, ticks every 5 s
//     of real time (not configurable), so a job is picked up up to 5 s after the clock passes
//     its RunAt;
//   - the periodic enqueuer waits on a real timer set from the clock, so after the clock
//     jumps ahead the next reconcile waits for that timer, and a clock that stands still
//     never reaches the next run;
//   - the rescuer measures "running since" (stamped from the Clock) against time.Now, so a
//     stubbed clock more than RescueStuckAfter behind the wall clock makes every running job
//     look stuck at the rescuer's next pass (every 30 s on the leader), and one ahead of it
//     delays rescues. Keep a stubbed clock at or after the wall clock unless a test means to
//     make a job look stuck.
//
// # Delivery
//
// Each job is run by one worker at a time across all processes (River locks the row when it
// fetches it). A job whose process died is "running" until the leader's rescuer (every 30 s)
// sees it has been running longer than RescueStuckAfter (two minutes by default) and
// schedules a retry. Delivery is therefore at least once, and handlers must be idempotent;
// the engine is (events are re-read from Stripe, act jobs carry the plan's Seq, charges carry
// idempotency keys, and the store holds at most one message per case and step).
//
// A process_event job is unique by event ID, and an act or a message job by (case ID, Seq),
// while a job with the same key is available, scheduled, running, retryable or completed
// (River keeps completed jobs 24 h): a second insert is skipped, and the first one's RunAt
// stands.
// Duplicates within one InsertTx call are dropped before insertion.
//
// # Errors
//
// A handler error whose recoup.ErrorCode is EINVALID or ENOTFOUND cancels the job: retrying
// cannot help. EUNAUTHORIZED (Stripe refused the key) snoozes the job for
// CredentialsRetryAfter without spending an attempt, for as long as the key is refused. Any
// other error is retried with River's backoff (attempt⁴ seconds, ±10%) up to MaxAttempts,
// after which River discards the job; a reconcile job's backoff is capped at its period, and
// while it waits for a retry the periodic enqueuer adds no other.
package jobs
