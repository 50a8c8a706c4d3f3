package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/recoup-hq/recoup"
)

// handlerFunc is an HTTP handler that returns its failure instead of writing it. It writes
// only on success; handle renders the error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts h to http.Handler, rendering a returned error as a JSON error response.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// httpError is a failure that exists only in HTTP terms (a body too large, a wrong method), so
// it has no domain code. Its message is shown to the client.
type httpError struct {
	status  int
	code    string
	message string
}

func (e *httpError) Error() string { return e.message }

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// internalMessage replaces the text of errors that may hold implementation details.
const internalMessage = "internal error"

// Describe returns the HTTP status and the message safe to show a client for a domain error,
// for other packages that serve pages (the dashboard): the mapping lives here only.
func Describe(err error) (status int, message string) {
	status, _, message = describe(err)
	return status, message
}

// describe returns the status, code and client-facing message for err. This is the one place
// where domain error codes become HTTP statuses.
func describe(err error) (status int, code, message string) {
	if he, ok := errors.AsType[*httpError](err); ok {
		return he.status, he.code, he.message
	}
	code = recoup.ErrorCode(err)
	switch code {
	case recoup.ENOTFOUND:
		status = http.StatusNotFound
	case recoup.EINVALID:
		status = http.StatusBadRequest
	case recoup.ECONFLICT:
		status = http.StatusConflict
	case recoup.EUNAUTHORIZED:
		status = http.StatusUnauthorized
	case recoup.EUNAVAILABLE:
		status = http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError, recoup.EINTERNAL, internalMessage
	}
	return status, code, publicMessage(err)
}

// publicMessage returns the message of the first *recoup.Error in err's chain, which the domain
// defines as safe to show an operator, or a generic text for anything else (a driver error, a
// bug) whose text may reveal internals.
func publicMessage(err error) string {
	if e, ok := errors.AsType[*recoup.Error](err); ok && e.Code != recoup.EINTERNAL {
		return e.Message
	}
	return internalMessage
}

// writeError renders err. Server-side failures are logged with their full text, which the
// client never sees.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, message := describe(err)
	if status >= http.StatusInternalServerError {
		attrs := []any{"method", r.Method, "pattern", r.Pattern, "status", status, "error", err.Error()}
		if e, ok := errors.AsType[*recoup.Error](err); ok && e.Err != nil {
			attrs = append(attrs, "cause", e.Err.Error())
		}
		s.logger.ErrorContext(r.Context(), "request failed", attrs...)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="recoup"`)
	}
	var body errorBody
	body.Error.Code, body.Error.Message = code, message
	if err := writeJSON(w, status, body); err != nil {
		s.logger.ErrorContext(r.Context(), "encode error response", "error", err)
	}
}

// writeJSON writes v as the JSON response with status. It encodes before writing anything, so
// an encoding failure can still become a clean error response.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n')) // a client that went away is not our error
	return nil
}
