import { Link } from "wouter";
import { isPending } from "@latchauth/client";
import { api, useAuth, useFinishAuth } from "../../app/latch";
import { useApiForm } from "../../components/forms";
import { Page } from "../../components/ui";

/** `/account/2fa/trust`: whether to skip the second factor in this browser from now on. */
export function MFATrustPage() {
  const auth = useAuth();
  const finish = useFinishAuth();
  const form = useApiForm({
    fields: ["trust"],
    mutationFn: (v: Record<string, string>) => api.mfaTrust(v.trust === "yes"),
    onSuccess: (state) => finish(state),
  });
  if (!isPending(auth, "mfa_trust")) {
    return (
      <Page title="Trust this browser?">
        <p>
          There is no sign-in waiting for this answer. <Link href="/account">Go to your account</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title="Trust this browser?" lead="A trusted browser skips the second factor at its next sign-ins, until you change your password or your second factors.">
      <div className="form-actions">
        <button type="button" className="button primary" disabled={form.pending} onClick={() => form.submit({ trust: "yes" })}>
          Trust this browser
        </button>
        <button type="button" className="button" disabled={form.pending} onClick={() => form.submit({ trust: "no" })}>
          Not now
        </button>
      </div>
    </Page>
  );
}
