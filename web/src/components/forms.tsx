import { useMutation } from "@tanstack/react-query";
import {
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  type FormEvent,
  type InputHTMLAttributes,
  type ReactNode,
} from "react";
import { ApiError, splitErrors } from "@latchauth/client";
import { duration } from "../app/brand";
import { clearFlash } from "../app/flash";
import { useNow } from "./useNow";

/** Seconds left until an error's Retry-After has passed (0 without one), counting down. */
export function useRetryCountdown(error: unknown): number {
  const retryAt = error instanceof ApiError ? error.retryAt : null;
  const now = useNow(retryAt !== null ? 250 : null);
  return retryAt === null ? 0 : Math.max(0, Math.ceil((retryAt - now) / 1000));
}

export interface ApiFormOptions<V, R> {
  /** The request; may throw an ApiError itself for checks made in the browser. */
  mutationFn: (values: V) => Promise<R>;
  onSuccess?: (result: R, values: V) => void;
  /** The names of the inputs the form shows; other errors show at form level. */
  fields: readonly string[];
  /** API param → input name, e.g. `{ key: "code" }`. */
  aliases?: Readonly<Record<string, string>>;
  /** Replaces the messages of some errors (e.g. a 409 in this form's context). */
  describe?: (error: ApiError) => string | null;
}

/** A mutation plus its errors split per field and for the form. */
export function useApiForm<V, R>(opts: ApiFormOptions<V, R>) {
  const m = useMutation<R, unknown, V>({
    mutationFn: opts.mutationFn,
    ...(opts.onSuccess ? { onSuccess: opts.onSuccess } : {}),
  });
  // fields, aliases and describe are fixed for a form: only the error matters.
  const [fixed] = useState(opts);
  const split = useMemo(() => {
    const { fields, aliases, describe } = fixed;
    const e = m.error;
    if (e instanceof ApiError && describe) {
      const custom = describe(e);
      if (custom !== null) return { fields: {}, form: [custom] };
    }
    return splitErrors(e, fields, aliases);
  }, [m.error, fixed]);
  const retryIn = useRetryCountdown(m.error);
  return {
    submit: (values: V) => m.mutate(values),
    reset: m.reset,
    pending: m.isPending,
    succeeded: m.isSuccess,
    data: m.data,
    error: m.error,
    fieldErrors: split.fields,
    formErrors: split.form,
    retryIn,
  };
}

/** The form's values as strings, by input name. */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  new FormData(form).forEach((v, k) => {
    if (typeof v === "string") out[k] = v;
  });
  return out;
}

/**
 * A form that, after a failed submit, moves focus to the first field in
 * error, or else to the form-level messages.
 */
export function ApiForm(props: {
  onValues: (values: Record<string, string>) => void;
  error: unknown;
  formErrors: readonly string[];
  children: ReactNode;
  label?: string;
  className?: string;
}) {
  const ref = useRef<HTMLFormElement>(null);
  const { error } = props;
  useEffect(() => {
    if (!error || !ref.current) return;
    const target =
      ref.current.querySelector<HTMLElement>('[aria-invalid="true"]') ??
      ref.current.querySelector<HTMLElement>(".form-errors");
    target?.focus();
  }, [error]);
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    // A new attempt: the message the previous page left ("You have been
    // signed out.") no longer describes what is on screen.
    clearFlash();
    props.onValues(formValues(e.currentTarget));
  }
  return (
    <form ref={ref} onSubmit={onSubmit} className={props.className ?? "form"} aria-label={props.label}>
      <FormErrors messages={props.formErrors} />
      {props.children}
    </form>
  );
}

/** Form-level messages, announced when they appear. */
export function FormErrors({ messages }: { messages: readonly string[] }) {
  if (messages.length === 0) return null;
  return (
    <div className="form-errors" role="alert" tabIndex={-1}>
      {messages.length === 1 ? (
        <p>{messages[0]}</p>
      ) : (
        <ul>
          {messages.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export type FieldProps = {
  label: string;
  name: string;
  errors?: readonly string[] | undefined;
  hint?: ReactNode;
  optional?: boolean;
} & Omit<InputHTMLAttributes<HTMLInputElement>, "name" | "id">;

/**
 * A labelled input with its hint and its errors wired to it. A password
 * input gets a Show/Hide button that switches it to text and back.
 */
export function Field({ label, name, errors, hint, optional, className, type, ...input }: FieldProps) {
  const [shown, setShown] = useState(false);
  const id = useId();
  const hintId = `${id}-hint`;
  const errId = `${id}-errors`;
  const invalid = errors !== undefined && errors.length > 0;
  const describedBy = [hint ? hintId : null, invalid ? errId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${invalid ? " field-invalid" : ""}${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>
        {label}
        {optional ? <span className="optional"> (optional)</span> : null}
      </label>
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      {type === "password" ? (
        <div className="password-input">
          <input
            id={id}
            name={name}
            type={shown ? "text" : "password"}
            aria-invalid={invalid ? true : undefined}
            aria-describedby={describedBy}
            {...input}
          />
          <button
            type="button"
            className="password-toggle"
            aria-controls={id}
            aria-pressed={shown}
            onClick={() => setShown((s) => !s)}
          >
            {shown ? "Hide" : "Show"}
            {/* Its name is in its text, not aria-label, so it is not taken for the input's label. */}
            <span className="visually-hidden"> {label.toLowerCase()}</span>
          </button>
        </div>
      ) : (
        <input id={id} name={name} type={type} aria-invalid={invalid ? true : undefined} aria-describedby={describedBy} {...input} />
      )}
      {invalid ? (
        <ul id={errId} className="field-errors">
          {errors.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** The one-time code input every code page uses: the mailed code's format, and how long it works. */
export function CodeField({
  errors,
  label = "Code",
  lifetime,
  name = "code",
  hint,
}: {
  errors?: readonly string[] | undefined;
  label?: string;
  /** Seconds the code works, for the hint. */
  lifetime?: number | undefined;
  name?: string;
  /** Replaces the mailed code's hint (e.g. for an authenticator app's code). */
  hint?: string | undefined;
}) {
  return (
    <Field
      label={label}
      name={name}
      hint={hint ?? `For example BCDF-GHJK. Letter case, spaces and dashes don’t matter.${lifetime ? ` It works for ${duration(lifetime)}.` : ""}`}
      autoComplete="one-time-code"
      autoCapitalize="characters"
      spellCheck={false}
      required
      errors={errors}
    />
  );
}

/** The submit button: busy while pending, waiting out a rate limit. */
export function SubmitButton({
  children,
  pending,
  retryIn = 0,
  className,
}: {
  children: ReactNode;
  pending: boolean;
  retryIn?: number;
  className?: string;
}) {
  return (
    <button type="submit" className={className ?? "button primary"} disabled={pending || retryIn > 0} aria-busy={pending || undefined}>
      {pending ? "Please wait…" : retryIn > 0 ? `Try again in ${retryIn < 120 ? `${retryIn}s` : `${Math.ceil(retryIn / 60)} min`}` : children}
    </button>
  );
}

/** Confirmation of a password typed twice, checked in the browser. */
export function mismatch(param: string, message = "The two passwords differ."): ApiError {
  return new ApiError({ status: 400, errors: [{ param, code: "password_mismatch", message }] });
}
