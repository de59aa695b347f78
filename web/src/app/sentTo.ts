// The address a code was just mailed to, so that the page that asks for the
// code can name it ("We emailed a code to ann@example.com"): the server's
// flows do not say. Kept in sessionStorage, so a reload keeps it and
// another tab or a later visit does not see it.

export type CodeKind = "login" | "reset" | "verify";

const key = (kind: CodeKind) => `latch.sentTo.${kind}`;

export function rememberSentTo(kind: CodeKind, email: string): void {
  try {
    if (email) sessionStorage.setItem(key(kind), email);
    else sessionStorage.removeItem(key(kind));
  } catch {
    // Storage refused (private mode): the page just won't name the address.
  }
}

export function sentTo(kind: CodeKind): string | null {
  try {
    return sessionStorage.getItem(key(kind));
  } catch {
    return null;
  }
}
