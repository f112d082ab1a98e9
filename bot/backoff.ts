// Reconnect delays for the chat transports: doubling from `initialMs` up to `maxMs`.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 2_000, maxMs: 5 * 60_000 };

export class Backoff {
  private next: number;
  /** Failures since the last success. */
  failures = 0;
  constructor(private readonly o: BackoffOptions = DEFAULT_BACKOFF) {
    this.next = o.initialMs;
  }
  /** Counts a failure and returns the delay to wait now; the following one doubles. */
  take(): number {
    this.failures++;
    const d = this.next;
    this.next = Math.min(this.o.maxMs, this.next * 2);
    return d;
  }
  reset(): void {
    this.failures = 0;
    this.next = this.o.initialMs;
  }
  /** Tell people on the first failure of a streak and every 10th after, not on every retry. */
  worthReporting(): boolean {
    return this.failures === 1 || this.failures % 10 === 0;
  }
}

/** Sleeps, but wakes at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Waits for `p` at most `ms`; true when it settled in time. Never rejects. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  const giveUp = new AbortController();
  const settled = p.then(() => true, () => true);
  const r = await Promise.race([settled, sleep(ms, giveUp.signal).then(() => false)]);
  giveUp.abort();
  return r;
}
