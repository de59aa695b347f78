import { duration, useLifetimes } from "../../app/brand";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Link, useParams } from "wouter";
import { ApiError, isPending } from "@latchauth/client";
import { api, useAuth, useFinishAuth } from "../../app/latch";
import { ErrorPanel, Loading, Notice, Page } from "../../components/ui";

/** The page a verification link opens: shows what it confirms, then confirms on request. */
export function VerifyEmailKeyPage() {
  const { key = "" } = useParams<{ key: string }>();
  const lifetimes = useLifetimes();
  const auth = useAuth();
  const finish = useFinishAuth();
  const info = useQuery({
    queryKey: ["latch", "verify-email", key],
    queryFn: () => api.getEmailVerification(key),
    retry: false,
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
  });
  const confirm = useMutation({
    mutationFn: () => api.verifyEmail(key),
    onSuccess: (state) => {
      const email = info.data?.email ?? "Your email address";
      if (state.status === "authenticated") finish(state, { to: "/account", flash: `${email} is confirmed.` });
      else if (isPending(state, "verify_email") || state.status === "reauthentication_required") finish(state);
      else finish(state, { to: "/account/login", flash: `${email} is confirmed. You can sign in now.` });
    },
  });

  const title = "Confirm your email address";
  if (info.isPending) {
    return (
      <Page title={title}>
        <Loading label="Checking the link…" />
      </Page>
    );
  }
  if (info.isError) {
    const e = info.error;
    if (e instanceof ApiError && (e.status === 400 || e.status === 409)) {
      return (
        <Page title={title}>
          <Notice kind="error">
            <p>
              {e.hasCode("email_taken")
                ? "Another account uses this address now, so it cannot be confirmed for yours."
                : `This link is invalid or has expired. Links work once, for ${duration(lifetimes.email_verification_link)}.`}
            </p>
          </Notice>
          {auth.status === "authenticated" ? (
            <p>
              Ask for a new link on your <Link href="/account/email">email addresses</Link> page.
            </p>
          ) : (
            <p>
              <Link href="/account/login">Sign in</Link> to get a new link, or check whether you already confirmed this address.
            </p>
          )}
        </Page>
      );
    }
    return (
      <Page title={title}>
        <ErrorPanel error={e} retry={() => void info.refetch()} />
      </Page>
    );
  }
  const { email, user } = info.data;
  return (
    <Page title={title}>
      <p>
        {user.display === email ? (
          <>
            Confirm that <strong>{email}</strong> is your email address.
          </>
        ) : (
          <>
            Confirm that <strong>{email}</strong> is an email address of the account <strong>{user.display}</strong>.
          </>
        )}
      </p>
      {confirm.isError ? (
        <Notice kind="error">
          <p>{confirm.error instanceof ApiError ? confirm.error.messages.join(" ") : "Something went wrong."}</p>
        </Notice>
      ) : null}
      <div className="form-actions">
        <button type="button" className="button primary" onClick={() => confirm.mutate()} disabled={confirm.isPending}>
          {confirm.isPending ? "Please wait…" : "Confirm email address"}
        </button>
      </div>
    </Page>
  );
}
