import { Redirect } from "wouter";
import { pendingFlow } from "@latchauth/client";
import { useAuth } from "../../app/latch";
import { Page } from "../../components/ui";
import { StartOver } from "../../components/flowButtons";

/** A step the server asks for that this app cannot do yet (MFA, social signup, …). */
export function ContinuePage() {
  const auth = useAuth();
  const flow = auth.status === "authenticated" ? undefined : pendingFlow(auth.flows);
  if (auth.status === "authenticated") return <Redirect to="/account" replace />;
  if (auth.status === "unauthenticated" && !flow) return <Redirect to="/account/login" replace />;
  const what = auth.status === "reauthentication_required" ? "reauthenticate" : (flow?.id ?? "unknown");
  return (
    <Page title="Another step is needed">
      <p>
        This server asks for a step that this page cannot do yet (<code>{what}</code>).
      </p>
      <StartOver label="Cancel and start over" />
    </Page>
  );
}
