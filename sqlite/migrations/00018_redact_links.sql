-- Messages and notices are stored with the customer's links redacted (issue 19, item 8): a
-- card update link opens the customer's Stripe portal and an unsubscribe link stops their
-- mail, so a reader of the database or the dashboard must not hold them. This redacts the
-- ones stored before, with the same markers the code writes now ("[card update link]",
-- "[unsubscribe link]"); recoup_redact_links is updatelink.Redact, registered by the sqlite
-- package. There is no way back: the links are not kept anywhere.

-- +goose Up
UPDATE messages SET subject = recoup_redact_links(subject), body = recoup_redact_links(body), html = recoup_redact_links(html)
WHERE body LIKE '%://%' OR html LIKE '%://%' OR subject LIKE '%://%';
UPDATE notices SET subject = recoup_redact_links(subject), body = recoup_redact_links(body), html = recoup_redact_links(html)
WHERE body LIKE '%://%' OR html LIKE '%://%' OR subject LIKE '%://%';

-- +goose Down
SELECT 1; -- redacted links cannot be restored
