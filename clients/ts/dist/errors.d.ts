import type { AuthState, ErrorEntry } from "./types.js";
/**
 * What kind of failure an ApiError is, from its status and codes:
 * - `input`: 400 with per-field (`param`) and/or form-level errors;
 * - `unauthenticated`: 401 (the caller is not logged in; `auth` has the flows);
 * - `csrf`: 403 with a `csrf_*` code (the page could not prove it is trusted);
 * - `forbidden`: any other 403 (signup closed, no mail sent, …);
 * - `not_found`, `conflict` (409: the flow the request continues is gone —
 *   expired, used up, or never started), `rate_limited` (429), `server` (5xx);
 * - `network`: no response at all (offline, DNS, CORS refusal);
 * - `http`: anything else.
 */
export type ApiErrorKind = "input" | "unauthenticated" | "csrf" | "forbidden" | "not_found" | "conflict" | "rate_limited" | "server" | "network" | "http";
export interface ApiErrorInit {
    /** HTTP status; 0 when no response arrived. */
    status: number;
    errors?: readonly ErrorEntry[] | undefined;
    /** Seconds from the Retry-After header, when there was one. */
    retryAfter?: number | null | undefined;
    /** For 401s: what the response says about the caller. */
    auth?: AuthState | null | undefined;
    /** When the response arrived, in milliseconds (default now): `retryAt` counts from it. */
    receivedAt?: number | undefined;
    message?: string | undefined;
    cause?: unknown;
}
/** A failed API request, with the server's error entries. */
export declare class ApiError extends Error {
    readonly status: number;
    readonly errors: readonly ErrorEntry[];
    /** Seconds to wait before trying again (429 `Retry-After`), else null. */
    readonly retryAfter: number | null;
    /** When trying again makes sense (Retry-After from the response's arrival), in milliseconds; else null. */
    readonly retryAt: number | null;
    /** For 401s, the caller's state (flows to take next); else null. */
    readonly auth: AuthState | null;
    readonly kind: ApiErrorKind;
    constructor(init: ApiErrorInit);
    /** Whether an entry has this code (and, if given, this param). */
    hasCode(code: string, param?: string): boolean;
    /** Messages per `param` (field errors only). */
    get fieldErrors(): Record<string, string[]>;
    /** Every entry's message (field and form level), or the status's message. */
    get messages(): string[];
    /**
     * Form-level messages: the entries without `param`, or — when the
     * response had no entries at all — one message describing the status.
     */
    get formErrors(): string[];
}
/**
 * "Try again …" for a moment in milliseconds: in seconds under two minutes,
 * else the clock time (in the user's time zone) and the minutes until it.
 */
export declare function tryAgainAt(at: number, now?: number): string;
/** The message of a 429 whose Retry-After said `seconds`. */
export declare function rateLimitedMessage(seconds: number, now?: number): string;
/**
 * Parses a Retry-After header: delay-seconds or an HTTP date. Returns whole
 * seconds (at least 0), or null when absent or unreadable.
 */
export declare function parseRetryAfter(value: string | null | undefined, now?: number): number | null;
/**
 * Splits an error's entries between the fields a form shows and the form
 * itself. `fields` names the form's inputs; `aliases` maps an API `param`
 * to the input that shows it (e.g. `{key: "code"}`). Entries whose param
 * names no shown input go to the form level, so no message is ever lost.
 */
export declare function splitErrors(error: unknown, fields: readonly string[], aliases?: Readonly<Record<string, string>>): {
    fields: Record<string, string[]>;
    form: string[];
};
