// Outgoing messages of one transport go through one queue: in order, spaced to respect the
// platform's rate limits, and a failing send is reported without blocking the ones after it.

export class SendQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private last = 0;
  private closed = false;

  constructor(private readonly minGapMs: number, private readonly onError: (err: unknown, label: string) => void) {}

  /** Runs `task` after the ones queued before it; resolves with its result, or undefined if it failed. */
  push<T>(label: string, task: () => Promise<T>): Promise<T | undefined> {
    const run = async (): Promise<T | undefined> => {
      if (this.closed) return undefined;
      const wait = this.last + this.minGapMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      try {
        return await task();
      } catch (err) {
        this.onError(err, label);
        return undefined;
      } finally {
        this.last = Date.now();
      }
    };
    const p = this.tail.then(run, run);
    this.tail = p;
    return p;
  }

  /** Waits for everything queued so far, at most `timeoutMs` (shutdown must not hang on a dead chat). */
  async drain(timeoutMs = Infinity): Promise<void> {
    const done = this.tail.catch(() => undefined);
    if (!Number.isFinite(timeoutMs)) return void (await done);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  close(): void {
    this.closed = true;
  }
}
