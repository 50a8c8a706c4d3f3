package dashboard

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

// maxNoteLength bounds the note an operator attaches to "mark resolved".
const maxNoteLength = 500

func (d *Dashboard) actRetry(w http.ResponseWriter, r *http.Request, u *viewer) error {
	return d.act(w, r, u, "retry_now", "", func(ctx context.Context, now time.Time, id int64) error {
		return d.cfg.Operator.RetryNow(ctx, now, id, u.User.Email)
	})
}

func (d *Dashboard) actSkipFinal(w http.ResponseWriter, r *http.Request, u *viewer) error {
	return d.act(w, r, u, "skip_to_final", "", func(ctx context.Context, now time.Time, id int64) error {
		return d.cfg.Operator.SkipToFinal(ctx, now, id, u.User.Email)
	})
}

func (d *Dashboard) actPause(w http.ResponseWriter, r *http.Request, u *viewer) error {
	return d.act(w, r, u, "pause", "", func(ctx context.Context, now time.Time, id int64) error {
		return d.cfg.Operator.Pause(ctx, now, id, u.User.Email)
	})
}

func (d *Dashboard) actApprove(w http.ResponseWriter, r *http.Request, u *viewer) error {
	return d.act(w, r, u, "approve_final_action", "", func(ctx context.Context, now time.Time, id int64) error {
		return d.cfg.Operator.Approve(ctx, now, id, u.User.Email)
	})
}

func (d *Dashboard) actResume(w http.ResponseWriter, r *http.Request, u *viewer) error {
	return d.act(w, r, u, "resume", "", func(ctx context.Context, now time.Time, id int64) error {
		return d.cfg.Operator.Resume(ctx, now, id, u.User.Email)
	})
}

func (d *Dashboard) actResolve(w http.ResponseWriter, r *http.Request, u *viewer) error {
	note := strings.TrimSpace(r.PostFormValue("note"))
	if len(note) > maxNoteLength {
		return recoup.Errorf(recoup.EINVALID, "the note is longer than %d characters", maxNoteLength)
	}
	return d.act(w, r, u, "mark_resolved", note, func(ctx context.Context, now time.Time, id int64) error {
		return d.cfg.Operator.MarkResolved(ctx, now, id, u.User.Email, note)
	})
}

// act runs an operator action on the case of the path and records it in the audit log, done
// or refused. A refusal (the case is resolved, the network guard holds the card) shows the
// case page again with the reason; success goes back to the case page (POST-redirect-GET).
func (d *Dashboard) act(w http.ResponseWriter, r *http.Request, u *viewer, action, detail string, fn func(context.Context, time.Time, int64) error) error {
	if d.cfg.Operator == nil {
		return recoup.Errorf(recoup.ENOTFOUND, "case actions are not available on this server")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return recoup.Errorf(recoup.ENOTFOUND, "no such case")
	}
	err = fn(r.Context(), d.dataNow(), id)
	switch code := recoup.ErrorCode(err); code {
	case "":
		d.audit(r, u, action, id, "ok", detail)
		http.Redirect(w, r, d.prefix+"/cases/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return nil
	case recoup.ECONFLICT, recoup.EINVALID:
		_, msg := statusOf(err)
		d.audit(r, u, action, id, "refused: "+msg, detail)
		return d.showCase(w, r, u, http.StatusConflict, msg)
	default:
		d.audit(r, u, action, id, "failed: "+code, detail)
		return err
	}
}
