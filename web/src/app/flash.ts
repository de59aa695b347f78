// A one-shot message for the page a navigation leads to ("Your password
// was changed."). It is shown on that path and dropped once the user moves on.

import { useSyncExternalStore } from "react";

export interface Flash {
  message: string;
  path: string;
}

let current: Flash | null = null;
const listeners = new Set<() => void>();

function emit(): void {
  for (const l of listeners) l();
}

export function setFlash(message: string, path: string): void {
  current = { message, path: path.split("?")[0] ?? path };
  emit();
}

export function clearFlash(): void {
  if (current !== null) {
    current = null;
    emit();
  }
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The message for `path`, if one is waiting there. */
export function useFlash(path: string): string | null {
  const f = useSyncExternalStore(subscribe, () => current);
  return f !== null && f.path === path ? f.message : null;
}
