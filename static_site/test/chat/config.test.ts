import { describe, expect, it } from "vitest";
import { loadChatBaseUrl } from "../../src/chat/config.ts";

const json = (body: unknown, status = 200) => async () => new Response(JSON.stringify(body), { status });

describe("loadChatBaseUrl", () => {
  it("takes chatBaseUrl from /config.json, without a trailing slash", async () => {
    const seen: string[] = [];
    const url = await loadChatBaseUrl(async (input) => (seen.push(input), json({ chatBaseUrl: "http://127.0.0.1:8080/" })()), {
      VITE_CHAT_BASE_URL: "http://other",
    });
    expect(url).toBe("http://127.0.0.1:8080");
    expect(seen).toEqual(["/config.json"]);
  });

  it("falls back to VITE_CHAT_BASE_URL when config.json is missing, broken or unusable", async () => {
    const env = { VITE_CHAT_BASE_URL: "https://chat.example.com" };
    expect(await loadChatBaseUrl(json({}, 404), env)).toBe("https://chat.example.com");
    expect(await loadChatBaseUrl(async () => new Response("<html>", { status: 200 }), env)).toBe("https://chat.example.com");
    expect(await loadChatBaseUrl(json({ chatBaseUrl: "javascript:alert(1)" }), env)).toBe("https://chat.example.com");
    expect(
      await loadChatBaseUrl(async () => {
        throw new TypeError("offline");
      }, env),
    ).toBe("https://chat.example.com");
  });

  it("is null when nothing is configured (the chat shows as unavailable)", async () => {
    expect(await loadChatBaseUrl(json({}), {})).toBeNull();
  });
});
