-- Messages and notices are stored with the customer's links redacted (issue 19, item 8): a
-- card update link opens the customer's Stripe portal and an unsubscribe link stops their
-- mail, so a reader of the database or the dashboard must not hold them. This redacts the
-- ones stored before, with the same markers and the same pattern as updatelink.Redact: an
-- absolute URL whose path ends in /u/, /n/, /unsubscribe/ or /unsubscribe/n/ and a token.
-- There is no way back: the links are not kept anywhere.

-- +goose Up
UPDATE messages SET
    subject = regexp_replace(regexp_replace(subject, 'https?://[^[:space:]"''<>]*/unsubscribe(/n)?/[A-Za-z0-9_-]{16,}', '[unsubscribe link]', 'g'), 'https?://[^[:space:]"''<>]*/[un]/[A-Za-z0-9_-]{16,}', '[card update link]', 'g'),
    body    = regexp_replace(regexp_replace(body,    'https?://[^[:space:]"''<>]*/unsubscribe(/n)?/[A-Za-z0-9_-]{16,}', '[unsubscribe link]', 'g'), 'https?://[^[:space:]"''<>]*/[un]/[A-Za-z0-9_-]{16,}', '[card update link]', 'g'),
    html    = regexp_replace(regexp_replace(html,    'https?://[^[:space:]"''<>]*/unsubscribe(/n)?/[A-Za-z0-9_-]{16,}', '[unsubscribe link]', 'g'), 'https?://[^[:space:]"''<>]*/[un]/[A-Za-z0-9_-]{16,}', '[card update link]', 'g')
WHERE body LIKE '%://%' OR html LIKE '%://%' OR subject LIKE '%://%';
UPDATE notices SET
    subject = regexp_replace(regexp_replace(subject, 'https?://[^[:space:]"''<>]*/unsubscribe(/n)?/[A-Za-z0-9_-]{16,}', '[unsubscribe link]', 'g'), 'https?://[^[:space:]"''<>]*/[un]/[A-Za-z0-9_-]{16,}', '[card update link]', 'g'),
    body    = regexp_replace(regexp_replace(body,    'https?://[^[:space:]"''<>]*/unsubscribe(/n)?/[A-Za-z0-9_-]{16,}', '[unsubscribe link]', 'g'), 'https?://[^[:space:]"''<>]*/[un]/[A-Za-z0-9_-]{16,}', '[card update link]', 'g'),
    html    = regexp_replace(regexp_replace(html,    'https?://[^[:space:]"''<>]*/unsubscribe(/n)?/[A-Za-z0-9_-]{16,}', '[unsubscribe link]', 'g'), 'https?://[^[:space:]"''<>]*/[un]/[A-Za-z0-9_-]{16,}', '[card update link]', 'g')
WHERE body LIKE '%://%' OR html LIKE '%://%' OR subject LIKE '%://%';

-- +goose Down
SELECT 1; -- redacted links cannot be restored
