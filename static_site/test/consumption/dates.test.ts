import { describe, expect, it } from "vitest";
import { addDays, formatLongDate, isIsoDate, todayIn } from "../../src/consumption/dates.ts";

describe("dates", () => {
  it("takes today in the viewer's zone, not UTC's", () => {
    const at = new Date("2026-06-30T22:30:00Z"); // 01:30 on 1 July in Bucharest
    expect(todayIn("Europe/Bucharest", at)).toBe("2026-07-01");
    expect(todayIn("UTC", at)).toBe("2026-06-30");
    expect(todayIn("America/New_York", at)).toBe("2026-06-30");
  });

  it("steps whole calendar days across months, years and DST changes", () => {
    expect(addDays("2026-10-25", 1)).toBe("2026-10-26");
    expect(addDays("2026-03-29", -1)).toBe("2026-03-28");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2028-03-01", -1)).toBe("2028-02-29");
    expect(() => addDays("25/10/2026", 1)).toThrow(/YYYY-MM-DD/);
  });

  it("validates YYYY-MM-DD strictly", () => {
    expect(isIsoDate("2026-02-28")).toBe(true);
    expect(isIsoDate("2026-02-30")).toBe(false);
    expect(isIsoDate("2026-2-3")).toBe(false);
    expect(isIsoDate("")).toBe(false);
    expect(isIsoDate(null)).toBe(false);
  });

  it("writes the day out in words", () => {
    const text = formatLongDate("2026-10-25", "en-GB"); // punctuation varies by ICU version
    expect(text).toMatch(/^Sunday,? 25 October 2026$/);
  });
});
