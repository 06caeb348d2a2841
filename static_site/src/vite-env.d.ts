/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Base URL of the REST API, e.g. `/api` (same origin) or `https://func-x.azurewebsites.net/api`. */
  readonly VITE_API_BASE_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
