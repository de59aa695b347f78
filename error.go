package latch

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors the core and the stores return; the HTTP API maps each to a
// status code in one table.
var (
	// ErrNotFound means the requested record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the request is not valid in the current state
	// (already logged in, no flow pending, …): HTTP 409.
	ErrConflict = errors.New("conflict")
	// ErrStale means a session was saved by another request since it was
	// read; the caller reads it again and retries, or answers 409.
	ErrStale = fmt.Errorf("%w: session changed meanwhile", ErrConflict)
	// ErrForbidden means the action is not allowed (signup closed, …): HTTP 403.
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthenticated means the caller must log in first: HTTP 401.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrReauthenticationRequired means the caller is logged in but must
	// prove itself again (password or second factor) before this action:
	// HTTP 401 with the reauthentication flows.
	ErrReauthenticationRequired = errors.New("reauthentication required")
	// ErrSessionGone means the app client sent a session token that no longer
	// exists: HTTP 410.
	ErrSessionGone = errors.New("session gone")
	// ErrEmailTaken is returned by stores when an address already belongs to a user.
	ErrEmailTaken = errors.New("email taken")
	// ErrUsernameTaken is returned by stores when a username is already in use.
	ErrUsernameTaken = errors.New("username taken")
	// ErrUnavailable means the database cannot answer now (refused
	// connection, pool or statement timeout, a lock held past the busy
	// timeout, the request's deadline spent in the store): HTTP 503 with
	// Retry-After. Stores return it wrapped around the driver's error.
	ErrUnavailable = errors.New("store unavailable")
)

// FieldError is one input problem, as the headless API reports it. Param is
// empty for form-level errors.
type FieldError struct {
	Param   string
	Code    string
	Message string
}

// InputError is a list of input problems: HTTP 400 with one entry per problem.
type InputError struct {
	Errors []FieldError
	// RetryAfter, when positive, is when the request may succeed again
	// (too_many_login_attempts: the failure budget refills); HTTP sends it
	// as Retry-After.
	RetryAfter time.Duration
}

// TooManyAttempts is the too_many_login_attempts error (param may be ""),
// telling when a new attempt may succeed.
func TooManyAttempts(param, message string, retryAfter time.Duration) *InputError {
	return &InputError{Errors: []FieldError{{Param: param, Code: "too_many_login_attempts", Message: message}}, RetryAfter: retryAfter}
}

func (e *InputError) Error() string {
	if len(e.Errors) == 0 {
		return "invalid input"
	}
	f := e.Errors[0]
	if f.Param == "" {
		return fmt.Sprintf("invalid input: %s", f.Code)
	}
	return fmt.Sprintf("invalid input: %s: %s", f.Param, f.Code)
}

// Add appends a problem.
func (e *InputError) Add(param, code, message string) {
	e.Errors = append(e.Errors, FieldError{Param: param, Code: code, Message: message})
}

// Err returns e, or nil when it holds no problems.
func (e *InputError) Err() error {
	if len(e.Errors) == 0 {
		return nil
	}
	return e
}

// Invalid returns an InputError holding one problem.
func Invalid(param, code, message string) *InputError {
	return &InputError{Errors: []FieldError{{Param: param, Code: code, Message: message}}}
}

// RateLimitError means an action's rate limit is exhausted: HTTP 429.
type RateLimitError struct {
	Action     string
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limit for %s exceeded; retry after %s", e.Action, e.RetryAfter)
}
