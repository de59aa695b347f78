import { useEffect, useState } from "react";

/**
 * The time in milliseconds, updated every `every` ms while `every` is not
 * null (a countdown, "3 minutes ago"); rendering reads it instead of
 * calling Date.now(), so renders stay pure.
 */
export function useNow(every: number | null = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (every === null) return;
    const t = window.setInterval(() => setNow(Date.now()), every);
    return () => window.clearInterval(t);
  }, [every]);
  return now;
}
