import { VirtualAction, VirtualTimeScheduler } from 'rxjs';

/**
 * Virtual time for code that takes a `scheduler` (server idle timers and pings, health probes):
 * `advance(ms)` runs, synchronously, every action that falls due, and leaves the clock at the
 * target time. Real I/O still happens in real time; only the timers wait for the test.
 *
 * Keep the number of periodic ticks modest (a few hundred): rxjs chains each re-scheduled
 * virtual action to the previous one.
 */
export function virtualClock(): { scheduler: VirtualTimeScheduler; advance(ms: number): void } {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  return {
    scheduler,
    advance(ms) {
      scheduler.maxFrames += ms;
      scheduler.flush();
      scheduler.frame = scheduler.maxFrames; // the clock reads the target time even when nothing ran
    },
  };
}
