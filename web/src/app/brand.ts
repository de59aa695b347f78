// The operator's branding and lifetimes, from /config's `data.latch`
// (LATCH_SITE_NAME, LATCH_BRAND_*, the code and link lifetimes), with the
// build's defaults when the server does not send them.

import type { Configuration, Lifetimes } from "@latchauth/client";
import { useConfig } from "./latch";

/** The name the build was given (VITE_SITE_NAME), until /config says otherwise. */
export const BUILD_SITE_NAME: string = import.meta.env.VITE_SITE_NAME || "Latch";

/** Latch's defaults, for a server that does not send `data.latch.lifetimes`. */
export const DEFAULT_LIFETIMES: Lifetimes = {
  login_code: 180,
  email_verification_code: 900,
  password_reset_code: 180,
  email_verification_link: 86400,
  password_reset_link: 3600,
  session: 14 * 86400,
};

export interface Brand {
  siteName: string;
  logoUrl: string | null;
  color: string | null;
  lifetimes: Lifetimes;
  accountDeletion: boolean;
}

export function brandOf(config: Configuration | undefined): Brand {
  const latch = config?.latch;
  return {
    siteName: latch?.site_name || BUILD_SITE_NAME,
    logoUrl: latch?.brand.logo_url ?? null,
    color: latch && /^#[0-9a-fA-F]{6}$/.test(latch.brand.color) ? latch.brand.color : null,
    lifetimes: latch?.lifetimes ?? DEFAULT_LIFETIMES,
    accountDeletion: latch?.account_deletion ?? false,
  };
}

/** The branding of the server the app talks to. */
export function useBrand(): Brand {
  return brandOf(useConfig().data);
}

/** The lifetimes of codes and links, in seconds. */
export function useLifetimes(): Lifetimes {
  return useBrand().lifetimes;
}

/** A lifetime in words: "3 minutes", "1 hour", "3 days", "90 seconds". */
export function duration(seconds: number): string {
  const unit = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
  if (seconds % 86400 === 0) return unit(seconds / 86400, "day");
  if (seconds % 3600 === 0) return unit(seconds / 3600, "hour");
  if (seconds % 60 === 0) return unit(seconds / 60, "minute");
  if (seconds < 120) return unit(seconds, "second");
  if (seconds < 7200) return unit(Math.round(seconds / 60), "minute");
  if (seconds < 172800) return unit(Math.round(seconds / 3600), "hour");
  return unit(Math.round(seconds / 86400), "day");
}

/** Black or white, whichever reads better on the colour (WCAG relative luminance). */
export function textOn(hex: string): string {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return (1.05 / (l + 0.05) >= (l + 0.05) / 0.05) ? "#ffffff" : "#111111";
}

/** The stylesheet's own accent (with its tuned dark-mode variant): no override needed. */
export const STYLESHEET_ACCENT = "#2f5d50";

/**
 * Puts the brand colour on the page: `--brand` and `--brand-text` on the
 * root element with `data-brand`, from which the stylesheet derives the
 * `--accent*` variables for light and dark mode. The stylesheet's own
 * accent (Latch's default brand colour) and null restore its palette.
 */
export function applyAccent(color: string | null, root: HTMLElement = document.documentElement): void {
  if (color === null || color.toLowerCase() === STYLESHEET_ACCENT) {
    root.removeAttribute("data-brand");
    root.style.removeProperty("--brand");
    root.style.removeProperty("--brand-text");
    return;
  }
  root.setAttribute("data-brand", "");
  root.style.setProperty("--brand", color);
  root.style.setProperty("--brand-text", textOn(color));
}
