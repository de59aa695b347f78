import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { ApiError } from "@latchauth/client";
import { api, keys } from "../../app/latch";
import { FormErrors } from "../../components/forms";
import { ErrorPanel, Loading, Notice, Page } from "../../components/ui";
import { ProviderButtons } from "./ProviderButtons";

/** Words for a refused disconnect. */
function disconnectError(e: unknown): string[] {
  if (e instanceof ApiError && e.hasCode("no_password")) {
    return ["This is the only way to sign in to your account: set a password first, then disconnect it."];
  }
  if (e instanceof ApiError && e.hasCode("no_verified_email")) {
    return ["This is your last sign-in method and your account has no verified email address: verify one first."];
  }
  return e instanceof ApiError ? e.messages : e ? ["Something went wrong."] : [];
}

/** The connected accounts: list, disconnect, connect another. */
export function ProvidersPage() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: [...keys.account, "providers"], queryFn: api.listProviderAccounts });
  const [status, setStatus] = useState<string | null>(null);
  const disconnect = useMutation({
    mutationFn: (a: { provider: string; uid: string; name: string }) => api.disconnectProviderAccount(a.provider, a.uid),
    onMutate: () => setStatus(null),
    onSuccess: (accounts, a) => {
      qc.setQueryData([...keys.account, "providers"], accounts);
      setStatus(`${a.name} was disconnected.`);
    },
  });
  return (
    <Page title="Connected accounts" lead="Accounts at other providers you can sign in with.">
      {status ? <Notice kind="success">{status}</Notice> : null}
      <FormErrors messages={disconnectError(disconnect.error)} />
      {disconnect.error instanceof ApiError && disconnect.error.hasCode("no_password") ? (
        <p>
          <Link href="/account/password/change">Set a password</Link>
        </p>
      ) : null}
      {list.isPending ? <Loading /> : null}
      {list.error ? <ErrorPanel error={list.error} retry={() => void list.refetch()} /> : null}
      {list.data && list.data.length === 0 ? <p className="empty">No provider account is connected.</p> : null}
      {list.data && list.data.length > 0 ? (
        <ul className="rows" aria-label="Your connected accounts">
          {list.data.map((a) => (
            <li key={a.provider.id + ":" + a.uid} className="row">
              <div className="row-main">
                <span className="row-title">{a.provider.name}</span> <span>{a.display}</span>
              </div>
              <div className="row-actions">
              <button
                type="button"
                className="button small danger"
                disabled={disconnect.isPending}
                onClick={() => disconnect.mutate({ provider: a.provider.id, uid: a.uid, name: a.provider.name })}
              >
                Disconnect
              </button>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
      <h2>Connect another</h2>
      <ProviderButtons process="connect" label="Connect a provider account" />
    </Page>
  );
}
