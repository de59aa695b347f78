import { BROWSER_API_PREFIX, CSRF_COOKIE, readCookie, type Provider } from "@latchauth/client";
import { api, useConfig } from "../../app/latch";

/** Where a provider login comes back to. */
export const PROVIDER_CALLBACK = "/account/provider/callback";

/** The providers that can be used from a browser (GET /config lists them). */
function useProviders(): Provider[] {
  const { data } = useConfig();
  return (data?.socialaccount?.providers ?? []).filter((p) => p.flows.includes("provider_redirect"));
}

/**
 * One button per provider: an HTML form POST to the redirect endpoint (a
 * navigation, not a fetch: the browser goes on to the provider), with the
 * CSRF token as csrfmiddlewaretoken.
 */
export function ProviderButtons({ process, label }: { process: "login" | "connect"; label: string }) {
  const providers = useProviders();
  if (providers.length === 0) return null;
  const action = (api.baseUrl || "") + BROWSER_API_PREFIX + "/auth/provider/redirect";
  return (
    <div className="providers" aria-label={label} role="group">
      {providers.map((p) => (
        <form
          key={p.id}
          method="post"
          action={action}
          onSubmit={(e) => {
            const token = e.currentTarget.elements.namedItem("csrfmiddlewaretoken") as HTMLInputElement;
            token.value = readCookie(document.cookie, CSRF_COOKIE) ?? "";
          }}
        >
          <input type="hidden" name="provider" value={p.id} />
          <input type="hidden" name="process" value={process} />
          <input type="hidden" name="callback_url" value={`${window.location.origin}${PROVIDER_CALLBACK}?process=${process}`} />
          <input type="hidden" name="csrfmiddlewaretoken" value="" />
          <button type="submit" className="button">
            {process === "login" ? `Continue with ${p.name}` : `Connect ${p.name}`}
          </button>
        </form>
      ))}
    </div>
  );
}
