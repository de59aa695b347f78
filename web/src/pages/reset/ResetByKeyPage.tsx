import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "wouter";
import { ApiError } from "@latchauth/client";
import { api } from "../../app/latch";
import { duration, useLifetimes } from "../../app/brand";
import { ErrorPanel, Loading, Notice, Page } from "../../components/ui";
import { NewPasswordForm } from "./common";

/** The page a reset link opens. */
export function ResetByKeyPage() {
  const { key = "" } = useParams<{ key: string }>();
  const lifetimes = useLifetimes();
  const info = useQuery({
    queryKey: ["latch", "password-reset", key],
    queryFn: () => api.getPasswordReset(key),
    retry: false,
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
  });
  const title = "Choose a new password";
  if (info.isPending) {
    return (
      <Page title={title}>
        <Loading label="Checking the link…" />
      </Page>
    );
  }
  if (info.isError) {
    const e = info.error;
    return (
      <Page title={title}>
        {e instanceof ApiError && (e.status === 400 || e.status === 409) ? (
          <>
            <Notice kind="error">
              <p>This link is invalid or has expired. Reset links work once, for {duration(lifetimes.password_reset_link)}, and stop working when the password changes.</p>
            </Notice>
            <p>
              <Link href="/account/password/reset">Request a new link</Link>
            </p>
          </>
        ) : (
          <ErrorPanel error={e} retry={() => void info.refetch()} />
        )}
      </Page>
    );
  }
  return (
    <Page title={title}>
      <NewPasswordForm resetKey={key} user={info.data.user} keyErrorHint="Request a new link." />
    </Page>
  );
}
