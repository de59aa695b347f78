import { useMutation } from "@tanstack/react-query";
import { useRetryCountdown } from "./forms";
import { ApiError } from "@latchauth/client";
import { api, useFinishAuth } from "../app/latch";
import { forgetSignedIn } from "../app/signedOut";

/** A "send again" button with its outcome announced next to it. */
export function ResendButton({
  send,
  label,
  sent,
  conflict,
}: {
  send: () => Promise<void>;
  label: string;
  sent: string;
  /** What a 409 means here. */
  conflict: string;
}) {
  const m = useMutation({ mutationFn: send });
  const retryIn = useRetryCountdown(m.error);
  let message: string | null = null;
  if (m.isSuccess) message = sent;
  else if (m.error instanceof ApiError) message = m.error.status === 409 ? conflict : m.error.messages.join(" ");
  else if (m.error) message = "Something went wrong.";
  return (
    <div className="resend">
      <button type="button" className="button" onClick={() => m.mutate()} disabled={m.isPending || retryIn > 0}>
        {m.isPending ? "Sending…" : retryIn > 0 ? `${label} (in ${retryIn}s)` : label}
      </button>
      <p className={m.isError ? "resend-message error-text" : "resend-message"} role="status">
        {message}
      </p>
    </div>
  );
}

/** Drops whatever is in progress in this browser's session and goes back to sign-in. */
export function StartOver({ label = "Start over" }: { label?: string }) {
  const finish = useFinishAuth();
  const m = useMutation({
    mutationFn: () => {
      forgetSignedIn();
      return api.logout();
    },
    onSuccess: (state) => finish(state, { to: "/account/login" }) });
  return (
    <p>
      <button type="button" className="link-button" onClick={() => m.mutate()} disabled={m.isPending}>
        {label}
      </button>
      {m.isError ? <span className="error-text" role="alert"> {(m.error as Error).message}</span> : null}
    </p>
  );
}
