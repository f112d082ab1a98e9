// The runtime's view of chat: publish every BotEvent, stop at shutdown. The fan-out turns an event
// into one platform-neutral reply and hands it to each transport; a failing transport is logged
// and never blocks the others or the caller.
import type { Logger } from 'pino';
import { decisionNote, eventMessage } from '../handlers/alerts.js';
import type { ChatHandlers } from '../handlers/chat.js';
import type { BotEvent } from '../handlers/control.js';
import { toPlainText, type Reply } from '../handlers/reply.js';
import type { AlertRefBook } from './alert-refs.js';
import { sleep } from './backoff.js';

export interface Notifier {
  publish(e: BotEvent): Promise<void>;
  stop(): Promise<void>;
}

/** One chat platform (or the console). Methods never throw; failures are reported inside. */
export interface Transport {
  readonly name: string;
  /** Connects; resolves after the first attempt either way (retries continue in the background). */
  start?(): Promise<void>;
  /** Sends a message; `approvalId` marks the alert of a pending approval (kept for later edits). */
  send(r: Reply, approvalId?: string): Promise<void>;
  /** Shows the current state of an alert: edits its message, or sends `fallback` when it has none (nothing without one). */
  updateAlert(approvalId: string, r: Reply | undefined, fallback: Reply | undefined): Promise<void>;
  stop(): Promise<void>;
}

export class FanOutNotifier implements Notifier {
  constructor(
    private readonly transports: Transport[],
    private readonly core: ChatHandlers,
    private readonly logger: Logger,
    /** The runtime awaits publish(); a hung chat server must not hold it longer than this. */
    private readonly publishWaitMs = 2_000,
  ) {}

  async publish(e: BotEvent): Promise<void> {
    try {
      if (e.type === 'signal') {
        const r = this.core.trackSignal(e);
        await this.each((t) => t.send(r, e.approval?.id));
        return;
      }
      if (e.type === 'approval_decided') {
        this.core.recordDecision(e.approvalId, e.outcome, e.by);
        await this.core.restore(e.approvalId); // an alert sent before a restart
        await this.refreshAlert(e.approvalId);
        return;
      }
      const r = eventMessage(e, Date.now());
      if (r) await this.each((t) => t.send(r));
    } catch (err) {
      this.logger.error({ err: err instanceof Error ? err.message : String(err), event: e.type }, 'chat: publish failed');
    }
  }

  /** Brings every copy of an alert up to date (after a decision on any platform). */
  async refreshAlert(approvalId: string, except?: Transport): Promise<void> {
    const decision = this.core.decisionOf(approvalId);
    const fallback = decision ? decisionNote(approvalId, decision) : undefined;
    if (!fallback) return;
    const r = this.core.alertReply(approvalId);
    await this.each((t) => (t === except ? Promise.resolve() : t.updateAlert(approvalId, r, fallback)));
  }

  /**
   * Alerts whose approval window closed while the process was down: the runtime closes them out
   * as expired on start, without an event, so their messages are edited here (buttons removed).
   */
  async closeOutExpired(refs: AlertRefBook): Promise<number> {
    const stale = await refs.expiredWhileDown();
    for (const a of stale) {
      this.core.recordDecision(a.id, { kind: 'expired' }, null);
      await this.core.restore(a.id);
      const r = this.core.alertReply(a.id);
      // Only where the alert was posted: a platform that never showed it gets no loose note.
      await this.each((t) => t.updateAlert(a.id, r, undefined));
    }
    if (stale.length) this.logger.info({ alerts: stale.length }, 'chat: closed out alerts that expired while the bot was down');
    return stale.length;
  }

  async stop(): Promise<void> {
    await this.each((t) => t.stop(), Infinity);
  }

  /** Runs `fn` on every transport; waits for them at most `waitMs` (the sends carry on after). */
  private async each(fn: (t: Transport) => Promise<void>, waitMs = this.publishWaitMs): Promise<void> {
    const all = Promise.all(
      this.transports.map((t) =>
        fn(t).catch((err) => this.logger.error({ transport: t.name, err: err instanceof Error ? err.message : String(err) }, 'chat: transport failed')),
      ),
    );
    if (!Number.isFinite(waitMs)) return void (await all);
    const giveUp = new AbortController();
    await Promise.race([all, sleep(waitMs, giveUp.signal)]);
    giveUp.abort();
  }
}

/** Used when no chat platform is configured: alerts are printed so nothing goes unseen. */
export class ConsoleTransport implements Transport {
  readonly name = 'console';
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}

  async send(r: Reply): Promise<void> {
    this.write(`── SMC Ultra ──\n${toPlainText(r)}`);
  }

  async updateAlert(_approvalId: string, r: Reply | undefined, fallback: Reply | undefined): Promise<void> {
    const shown = fallback ?? r;
    if (shown) this.write(`── SMC Ultra ──\n${toPlainText(shown)}`);
  }

  async stop(): Promise<void> {}
}
