// Package personalize rewrites a campaign message with a language model, optionally, under
// guardrails, and falls back to the message's template whenever anything is off.
//
// It is off by default: a zero Config is disabled, New returns a nil *Personalizer for it, and
// a nil Personalizer returns every template unchanged.
//
// # What the model is sent
//
// Only a Request: the customer's first name, the plan's name, the amount due with its
// currency, the failure category in plain words (Reason), the step number and tone, the
// customer's tenure in words (Tenure), the locale, and the base template's subject and body
// with Placeholder where the card-update link goes. Never card data, email addresses, or
// Stripe or recoup ids: the Request has no field for them (ForMessage copies only the allowed
// facts from a case), and a request whose free text holds an email address, an id, a long
// digit run or a link is refused before any call (fallback kind "request").
//
// # Providers
//
// Anthropic (Messages API) and OpenAI (chat completions; also self-hosted servers that speak
// it, through a base URL ending in /v1/) are thin clients of the documented HTTP APIs (the
// vendors' SDKs added 61 MB to the binary). Credentials and base URL come only from the
// Config: nothing is read from the environment. Every call has a timeout and, by default, no
// retry.
//
// # Guardrails
//
// Validate checks the generated subject and body: the placeholder exactly once (in the body);
// length limits; no HTML, script, entities, Markdown links or template syntax; no URL, domain,
// IP or email address; no promise (discount, refund, free period, extension, waiver) that the
// policy does not allow and the template does not make; no number absent from the facts and
// the template; the customer's language (a stopword-share heuristic); and, for English, the
// step's tone (word lists: a gentle step must not threaten, an urgent or final one must not
// turn casual and must say action is needed). The language and tone checks are heuristics and
// say so in docs/personalization.md; they err on the side of rejecting, since a rejection only
// costs the personalization of one message.
//
// # Caps
//
// A Personalizer counts calls and their cost (tokens × configured prices) per calendar month
// in a UsageStore, reserving each call's worst case before it is made, and falls back without
// a call once a cap would be passed. MemoryUsage is the in-memory store; a deployment with
// several processes or restarts needs a store-backed one.
//
// # Wiring
//
// The engine renders a step's template with Placeholder for the link, builds a Request with
// ForMessage, calls Personalize outside any store transaction, sends Result.Subject and
// Result.Body with the link substituted, and records Result.Generated, Result.Fallback,
// Result.Reason and Result.Raw with the message.
package personalize
