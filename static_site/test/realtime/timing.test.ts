import { describe, expect, it } from "vitest";
import { sleptBetweenTicks, throttle, type TimerApi } from "../../src/realtime/timing.ts";

describe("sleptBetweenTicks", () => {
  it("is false for on-time or slightly late ticks, true for a long gap", () => {
    expect(sleptBetweenTicks(0, 5_000, 5_000)).toBe(false);
    expect(sleptBetweenTicks(0, 14_000, 5_000)).toBe(false); // throttled background tab
    expect(sleptBetweenTicks(0, 15_001, 5_000)).toBe(true);
    expect(sleptBetweenTicks(0, 3_600_000, 5_000)).toBe(true); // laptop lid closed for an hour
  });
});

class FakeTimers implements TimerApi {
  time = 0;
  private next = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  setTimeout = (fn: () => void, ms: number): number => {
    const id = this.next++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  };
  clearTimeout = (id: number): void => void this.timers.delete(id);
  now = (): number => this.time;
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
  }
}

describe("throttle (leading + trailing)", () => {
  it("runs at once, then once more at the end of a burst, and never more often than the window", () => {
    const timers = new FakeTimers();
    const runs: number[] = [];
    const t = throttle(() => runs.push(timers.now()), 2000, timers);
    t(); // leading
    timers.advance(100);
    t();
    timers.advance(100);
    t();
    t();
    expect(runs).toEqual([0]);
    timers.advance(5000);
    expect(runs).toEqual([0, 2000]); // one trailing run for the whole burst
    t(); // window long over: immediate
    expect(runs).toEqual([0, 2000, 5200]);
  });

  it("a steady stream gives one run per window", () => {
    const timers = new FakeTimers();
    let runs = 0;
    const t = throttle(() => runs++, 2000, timers);
    for (let i = 0; i < 100; i++) {
      t();
      timers.advance(100); // 10 s of calls every 100 ms
    }
    timers.advance(2000);
    expect(runs).toBeGreaterThanOrEqual(5);
    expect(runs).toBeLessThanOrEqual(6);
  });

  it("cancel drops the pending trailing run", () => {
    const timers = new FakeTimers();
    let runs = 0;
    const t = throttle(() => runs++, 2000, timers);
    t();
    t();
    t.cancel();
    timers.advance(5000);
    expect(runs).toBe(1);
  });
});
