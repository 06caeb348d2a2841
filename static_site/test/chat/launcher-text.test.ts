/** The chat panel's one-line link status, for each state of the shared reconnect machine. */

import { describe, expect, it } from "vitest";
import { linkStatusText } from "../../src/chat/ui/launcher.ts";

describe("linkStatusText", () => {
  it("says nothing when live, and why it reconnects otherwise", () => {
    expect(linkStatusText({ status: "live", since: 0 })).toBe("");
    expect(linkStatusText({ status: "idle" })).toBe("Connecting…");
    expect(linkStatusText({ status: "connecting", attempt: 0 })).toBe("Connecting…");
    expect(linkStatusText({ status: "connecting", attempt: 0, reason: "network is back" })).toBe("Connecting…");
    expect(linkStatusText({ status: "reconnecting", attempt: 2, retryAt: 10_400, reason: "The chat stream ended." }, 7_000)).toBe(
      "Reconnecting in 4 s (The chat stream ended.)",
    );
    // The retry itself is under way: still "reconnecting" to the reader, as before the shared machine.
    expect(linkStatusText({ status: "connecting", attempt: 2, reason: "The chat stream ended." })).toBe("Reconnecting… (The chat stream ended.)");
    expect(linkStatusText({ status: "offline", reason: "The browser reports no network." })).toContain("Offline");
    expect(linkStatusText({ status: "unavailable", reason: "Your session expired." })).toBe("Your session expired.");
  });
});
