// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { createCredential, getAssertion, webAuthnMessage, webAuthnSupported } from "./webauthn";

afterEach(() => {
  vi.unstubAllGlobals();
});

/** A PublicKeyCredential with the JSON helpers, and navigator.credentials answering with `cred`. */
function stubBrowser(cred: { toJSON(): unknown } | null) {
  const parsed: unknown[] = [];
  vi.stubGlobal("PublicKeyCredential", {
    parseCreationOptionsFromJSON: (o: unknown) => (parsed.push(o), { parsed: "create", o }),
    parseRequestOptionsFromJSON: (o: unknown) => (parsed.push(o), { parsed: "get", o }),
  });
  const create = vi.fn(async () => cred);
  const get = vi.fn(async () => cred);
  vi.stubGlobal("navigator", { ...navigator, credentials: { create, get } });
  return { parsed, create, get };
}

describe("webauthn helpers", () => {
  it("is unsupported without the JSON helpers", async () => {
    vi.stubGlobal("PublicKeyCredential", {});
    expect(webAuthnSupported()).toBe(false);
    await expect(createCredential({})).rejects.toThrow("cannot use security keys");
    await expect(getAssertion({})).rejects.toThrow("cannot use security keys");
  });

  it("parses the server's options and answers with the credential's JSON", async () => {
    const b = stubBrowser({ toJSON: () => ({ id: "cred-1" }) });
    expect(webAuthnSupported()).toBe(true);
    expect(await createCredential({ challenge: "c1" })).toEqual({ id: "cred-1" });
    expect(b.create).toHaveBeenCalledWith({ publicKey: { parsed: "create", o: { challenge: "c1" } } });
    expect(await getAssertion({ challenge: "c2" })).toEqual({ id: "cred-1" });
    expect(b.get).toHaveBeenCalledWith({ publicKey: { parsed: "get", o: { challenge: "c2" } } });
  });

  it("fails when the browser makes no credential", async () => {
    stubBrowser(null);
    await expect(createCredential({})).rejects.toThrow("No security key or passkey was made.");
    await expect(getAssertion({})).rejects.toThrow("No security key or passkey was used.");
  });

  it("words the browser's refusals, and keeps other messages", () => {
    const dom = (name: string) => Object.assign(new Error("technical"), { name });
    expect(webAuthnMessage(dom("NotAllowedError"))).toMatch(/was not used/);
    expect(webAuthnMessage(dom("InvalidStateError"))).toMatch(/already registered/);
    expect(webAuthnMessage(dom("SecurityError"))).toMatch(/address cannot use/);
    expect(webAuthnMessage(new Error("Incorrect code."))).toBe("Incorrect code.");
  });
});
