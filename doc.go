// Package recoup holds the domain of a failed-payment recovery engine: recovery cases and their
// state machine, payment attempts, declines, decisions, and the ports (Store, Gateway) that the
// adapters implement. It imports only the standard library and never reads a clock: every
// function that needs the time takes `now`.
package recoup
