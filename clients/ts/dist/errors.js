/** A failed API request, with the server's error entries. */
export class ApiError extends Error {
    status;
    errors;
    /** Seconds to wait before trying again (429 `Retry-After`), else null. */
    retryAfter;
    /** When trying again makes sense (Retry-After from the response's arrival), in milliseconds; else null. */
    retryAt;
    /** For 401s, the caller's state (flows to take next); else null. */
    auth;
    kind;
    constructor(init) {
        const errors = init.errors ?? [];
        const retryAfter = init.retryAfter ?? null;
        const retryAt = retryAfter === null ? null : (init.receivedAt ?? Date.now()) + retryAfter * 1000;
        super(init.message ?? defaultMessage(init.status, errors, retryAt), init.cause === undefined ? undefined : { cause: init.cause });
        this.name = "ApiError";
        this.status = init.status;
        this.errors = errors;
        this.retryAfter = retryAfter;
        this.retryAt = retryAt;
        this.auth = init.auth ?? null;
        this.kind = errorKind(init.status, errors);
    }
    /** Whether an entry has this code (and, if given, this param). */
    hasCode(code, param) {
        return this.errors.some((e) => e.code === code && (param === undefined || e.param === param));
    }
    /** Messages per `param` (field errors only). */
    get fieldErrors() {
        const out = {};
        for (const e of this.errors) {
            if (e.param !== undefined)
                (out[e.param] ??= []).push(e.message);
        }
        return out;
    }
    /** Every entry's message (field and form level), or the status's message. */
    get messages() {
        if (this.errors.length === 0)
            return [this.message];
        return this.errors.map((e) => messageOf(e, this.retryAt));
    }
    /**
     * Form-level messages: the entries without `param`, or — when the
     * response had no entries at all — one message describing the status.
     */
    get formErrors() {
        if (this.errors.length === 0)
            return [this.message];
        return this.errors.filter((e) => e.param === undefined).map((e) => messageOf(e, this.retryAt));
    }
}
/** Codes whose message says "try again later": with a Retry-After, it names the time instead. */
const WAIT_CODES = {
    rate_limited: "Too many requests.",
    too_many_login_attempts: "Too many failed sign-in attempts.",
};
function messageOf(e, retryAt) {
    const what = WAIT_CODES[e.code];
    if (what !== undefined && retryAt !== null)
        return `${what} ${tryAgainAt(retryAt)}`;
    return e.message;
}
function errorKind(status, errors) {
    if (status === 0)
        return "network";
    if (status === 400)
        return "input";
    if (status === 401)
        return "unauthenticated";
    if (status === 403)
        return errors.some((e) => e.code.startsWith("csrf_")) ? "csrf" : "forbidden";
    if (status === 404)
        return "not_found";
    if (status === 409)
        return "conflict";
    if (status === 429)
        return "rate_limited";
    if (status >= 500)
        return "server";
    return "http";
}
/**
 * "Try again …" for a moment in milliseconds: in seconds under two minutes,
 * else the clock time (in the user's time zone) and the minutes until it.
 */
export function tryAgainAt(at, now = Date.now()) {
    const seconds = Math.max(0, Math.ceil((at - now) / 1000));
    if (seconds <= 1)
        return "Try again in a moment.";
    if (seconds < 120)
        return `Try again in ${seconds} seconds.`;
    const time = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" }).format(new Date(at));
    return `Try again at ${time} (in ${Math.ceil(seconds / 60)} minutes).`;
}
/** The message of a 429 whose Retry-After said `seconds`. */
export function rateLimitedMessage(seconds, now = Date.now()) {
    return `Too many requests. ${tryAgainAt(now + seconds * 1000, now)}`;
}
function defaultMessage(status, errors, retryAt) {
    if (status === 429 && retryAt !== null)
        return `Too many requests. ${tryAgainAt(retryAt)}`;
    const first = errors[0];
    if (first)
        return first.message;
    switch (status) {
        case 0:
            return "Could not reach the server. Check your connection and try again.";
        case 401:
            return "You are not signed in.";
        case 403:
            return "This is not allowed.";
        case 404:
            return "Not found.";
        case 409:
            return "This step is no longer in progress: it expired, was used up, or was never started.";
        case 429:
            return "Too many requests. Try again later.";
        default:
            return status >= 500 ? "Something went wrong on the server. Try again later." : `The request failed (HTTP ${status}).`;
    }
}
/**
 * Parses a Retry-After header: delay-seconds or an HTTP date. Returns whole
 * seconds (at least 0), or null when absent or unreadable.
 */
export function parseRetryAfter(value, now = Date.now()) {
    if (value === null || value === undefined)
        return null;
    const v = value.trim();
    if (v === "")
        return null;
    if (/^\d+$/.test(v))
        return Number.parseInt(v, 10);
    // HTTP dates start with a day name ("Wed, 21 Oct 2015 07:28:00 GMT").
    if (!/^[A-Za-z]{3}/.test(v))
        return null;
    const when = Date.parse(v);
    if (Number.isNaN(when))
        return null;
    return Math.max(0, Math.ceil((when - now) / 1000));
}
/**
 * Splits an error's entries between the fields a form shows and the form
 * itself. `fields` names the form's inputs; `aliases` maps an API `param`
 * to the input that shows it (e.g. `{key: "code"}`). Entries whose param
 * names no shown input go to the form level, so no message is ever lost.
 */
export function splitErrors(error, fields, aliases = {}) {
    const out = { fields: {}, form: [] };
    if (error === null || error === undefined)
        return out;
    if (!(error instanceof ApiError)) {
        out.form.push(error instanceof Error && error.message ? error.message : "Something went wrong.");
        return out;
    }
    if (error.errors.length === 0) {
        out.form.push(error.message);
        return out;
    }
    for (const e of error.errors) {
        const field = e.param === undefined ? undefined : (aliases[e.param] ?? e.param);
        if (field !== undefined && fields.includes(field))
            (out.fields[field] ??= []).push(e.message);
        else
            out.form.push(messageOf(e, error.retryAt));
    }
    return out;
}
