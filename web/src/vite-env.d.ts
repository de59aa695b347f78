/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Latch's URL when it is not the page's own origin, e.g. http://127.0.0.1:8000. */
  readonly VITE_LATCH_URL?: string;
  /** The name shown in the header and page titles (default "Latch"). */
  readonly VITE_SITE_NAME?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
