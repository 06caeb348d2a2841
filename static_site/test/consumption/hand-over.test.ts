import { describe, expect, it } from "vitest";
import { handOverNotice, ownerSeesFrom } from "../../src/consumption/hand-over.ts";

describe("handOverNotice", () => {
  it("says nothing for a device whose whole history is the owner's", () => {
    expect(handOverNotice(null, "Europe/Bucharest")).toBeNull();
    expect(handOverNotice(undefined, "Europe/Bucharest")).toBeNull();
    expect(handOverNotice("not a time", "Europe/Bucharest")).toBeNull();
  });

  it("gives the hand-over hour in the viewer's zone", () => {
    expect(handOverNotice("2026-12-02T14:00:00Z", "Europe/Bucharest")).toBe(
      "Readings before 2 Dec 2026, 16:00 belong to this meter's previous owner and are not shown.",
    );
    expect(handOverNotice("2026-12-02T14:00:00Z", "America/New_York")).toContain("2 Dec 2026, 09:00");
  });
});

describe("ownerSeesFrom", () => {
  it("tells administrators from when the owner sees readings", () => {
    expect(ownerSeesFrom(null, "Europe/Bucharest")).toBe("All of its history");
    expect(ownerSeesFrom("2026-12-02T14:00:00Z", "Europe/Bucharest")).toBe(
      "Readings from 2 Dec 2026, 16:00 on (earlier ones were a previous owner's)",
    );
  });
});
