/** API failures as one typed error: problem+json bodies, bare HTTP statuses and network faults. */

export interface FieldError {
  /** Form field the message belongs to (normalised: `body.username` → `username`). */
  field: string;
  message: string;
}

export interface ApiErrorInit {
  status: number;
  title: string;
  detail: string;
  type?: string;
  fieldErrors?: FieldError[];
  retryAfterSeconds?: number | null;
}

export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  readonly title: string;
  /** Human-readable explanation, safe to show as is. */
  readonly detail: string;
  readonly type: string;
  readonly fieldErrors: FieldError[];
  readonly retryAfterSeconds: number | null;

  constructor(init: ApiErrorInit) {
    super(init.detail || init.title);
    this.name = "ApiError";
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.type = init.type ?? "about:blank";
    this.fieldErrors = init.fieldErrors ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }

  /** All messages for one form field joined, or undefined. */
  messageFor(field: string): string | undefined {
    const messages = this.fieldErrors.filter((e) => e.field === field).map((e) => e.message);
    return messages.length > 0 ? messages.join(" ") : undefined;
  }
}

/** The session could not be renewed; the app has already been sent back to the login page. */
export class SessionExpiredError extends ApiError {
  constructor() {
    super({ status: 401, title: "Session expired", detail: "Your session expired. Please sign in again." });
    this.name = "SessionExpiredError";
  }
}

const GENERIC_DETAIL: Record<number, string> = {
  400: "The request was not understood.",
  401: "You need to sign in.",
  403: "You are not allowed to do that.",
  404: "Not found. It may have been deleted.",
  409: "That conflicts with existing data.",
  422: "Some fields are not valid.",
  429: "Too many requests. Please wait a moment and try again.",
};

/** `body.username` / `username` / `["body","username"]`-joined forms all map to `username`. */
export function normalizeFieldName(field: string): string {
  const parts = field.split(/[.\/]/).filter((p) => p !== "" && p !== "body" && p !== "query");
  return parts.length > 0 ? (parts[parts.length - 1] ?? field) : field;
}

/** Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or null. */
export function parseRetryAfter(value: string | null, now: Date = new Date()): number | null {
  if (value === null || value.trim() === "") return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readFieldErrors(raw: unknown): FieldError[] {
  if (!Array.isArray(raw)) return [];
  const out: FieldError[] = [];
  for (const item of raw) {
    if (!isRecord(item)) continue;
    const field = item.field ?? item.loc;
    const message = item.message ?? item.msg;
    const fieldName = Array.isArray(field) ? field.map(String).join(".") : field;
    if (typeof fieldName === "string" && typeof message === "string") {
      out.push({ field: normalizeFieldName(fieldName), message });
    }
  }
  return out;
}

/** Map a parsed body (any JSON, maybe problem+json) and status to an ApiError. */
export function errorFromBody(status: number, body: unknown, retryAfter: string | null = null): ApiError {
  const fallbackTitle = status >= 500 ? "Server error" : `HTTP ${status}`;
  const fallbackDetail =
    GENERIC_DETAIL[status] ??
    (status >= 500 ? `The server had a problem (HTTP ${status}). Please try again.` : `Request failed (HTTP ${status}).`);
  let title = fallbackTitle;
  let detail = fallbackDetail;
  let type: string | undefined;
  let fieldErrors: FieldError[] = [];
  if (isRecord(body)) {
    if (typeof body.title === "string" && body.title) title = body.title;
    if (typeof body.detail === "string" && body.detail) detail = body.detail;
    else if (typeof body.title === "string" && body.title) detail = body.title;
    if (typeof body.type === "string") type = body.type;
    fieldErrors = readFieldErrors(body.errors ?? body.detail);
  }
  const retryAfterSeconds = parseRetryAfter(retryAfter);
  if (status === 429 && retryAfterSeconds !== null && !/\d/.test(detail)) {
    detail = `${detail} Try again in ${retryAfterSeconds} s.`;
  }
  return new ApiError({ status, title, detail, type, fieldErrors, retryAfterSeconds });
}

/** Read a failed fetch Response into an ApiError; never throws, never exposes raw bodies. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    const text = await res.text();
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null; // not JSON (proxy error page, empty body): fall back to the status text
  }
  return errorFromBody(res.status, body, res.headers.get("Retry-After"));
}

export function errorFromNetwork(): ApiError {
  return new ApiError({
    status: 0,
    title: "Network error",
    detail: "Cannot reach the server. Check your connection and try again.",
  });
}

/** A message fit for a toast from anything a call may throw. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error && err.message) return err.message;
  return "Something went wrong.";
}
