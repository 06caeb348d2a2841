import { describe, expect, it } from "vitest";
import { ApiError, describeError, errorFromBody, errorFromResponse, normalizeFieldName, parseRetryAfter } from "../../src/api/errors.ts";

function problem(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/problem+json", ...headers },
  });
}

describe("errorFromResponse", () => {
  it("keeps the problem's detail and maps per-field errors", async () => {
    const err = await errorFromResponse(
      problem(422, {
        type: "https://example.test/validation",
        title: "Validation failed",
        status: 422,
        detail: "2 fields are not valid.",
        errors: [
          { field: "max_hourly_kwh", message: "Must be greater than 0." },
          { field: "body.username", message: "Too short." },
          { field: "body.username", message: "Only letters and digits." },
        ],
      }),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.title).toBe("Validation failed");
    expect(err.detail).toBe("2 fields are not valid.");
    expect(err.type).toBe("https://example.test/validation");
    expect(err.messageFor("max_hourly_kwh")).toBe("Must be greater than 0.");
    expect(err.messageFor("username")).toBe("Too short. Only letters and digits.");
    expect(err.messageFor("address")).toBeUndefined();
  });

  it("shows a 409 conflict's detail as is", async () => {
    const err = await errorFromResponse(problem(409, { title: "Conflict", status: 409, detail: "Username 'ana' is already taken." }));
    expect(describeError(err)).toBe("Username 'ana' is already taken.");
  });

  it("falls back to a readable message when the body is not JSON", async () => {
    const err = await errorFromResponse(new Response("<html>Bad Gateway</html>", { status: 502 }));
    expect(err.status).toBe(502);
    expect(err.detail).toMatch(/server had a problem/i);
    expect(err.detail).not.toContain("<html>");
  });

  it("uses the title when there is no detail, and a generic text when there is neither", async () => {
    expect((await errorFromResponse(problem(403, { title: "Forbidden", status: 403 }))).detail).toBe("Forbidden");
    expect((await errorFromResponse(new Response("", { status: 404 }))).detail).toMatch(/not found/i);
  });

  it("reads Retry-After on 429 and says how long to wait", async () => {
    const err = await errorFromResponse(problem(429, { title: "Too many requests", status: 429, detail: "Too many failed logins." }, { "Retry-After": "30" }));
    expect(err.retryAfterSeconds).toBe(30);
    expect(err.detail).toBe("Too many failed logins. Try again in 30 s.");
  });

  it("does not repeat the wait when the detail already states it", () => {
    const err = errorFromBody(429, { detail: "Locked for 60 seconds." }, "60");
    expect(err.detail).toBe("Locked for 60 seconds.");
  });

  it("accepts FastAPI-style validation arrays", () => {
    const err = errorFromBody(422, { detail: [{ loc: ["body", "password"], msg: "too short", type: "x" }] });
    expect(err.messageFor("password")).toBe("too short");
    expect(err.detail).toMatch(/not valid/);
  });
});

describe("helpers", () => {
  it("normalises field names", () => {
    expect(normalizeFieldName("username")).toBe("username");
    expect(normalizeFieldName("body.owner_id")).toBe("owner_id");
    expect(normalizeFieldName("/max_hourly_kwh")).toBe("max_hourly_kwh");
  });

  it("parses Retry-After seconds and dates", () => {
    const now = new Date("2026-03-01T10:00:00Z");
    expect(parseRetryAfter("12", now)).toBe(12);
    expect(parseRetryAfter("Sun, 01 Mar 2026 10:00:45 GMT", now)).toBe(45);
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
  });

  it("describes unknown throwables without leaking structure", () => {
    expect(describeError(new Error("boom"))).toBe("boom");
    expect(describeError({ any: "thing" })).toBe("Something went wrong.");
  });
});
