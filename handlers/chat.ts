// The chat brain shared by every transport: authorises, parses, calls BotControl and builds the
// replies. It also remembers the alerts that wait for a decision, so a decision taken on one
// platform can be shown on the alert messages of all of them.
import type { Logger } from 'pino';
import { actorLabel, isAllowed, logRefusal, REFUSAL, type Actor, type AllowLists } from './auth.js';
import { decisionLine, decisionToast, isFinal, signalAlert, statsReply, type Decision, type SignalEvent } from './alerts.js';
import { cancelButtonId, confirmButtonId, parseButtonId } from './button-ids.js';
import { parseCommand, type Command } from './commands.js';
import { ConfirmationBook } from './confirmations.js';
import type { ApprovalOutcome, BotControl } from './control.js';
import type { Signal } from '../engine/types.js';
import { duration } from './format.js';
import { reply, text, title, type Reply } from './reply.js';
import { closeReply, helpReply, positionsReply, statusReply } from './views.js';

export interface ChatHandlersOptions {
  control: BotControl;
  allow: AllowLists;
  logger: Logger;
  now?: () => number;
  /** How long a /close all confirmation button stays valid. */
  confirmTtlMs?: number;
  newNonce?: () => string;
  /** Stored approvals: rebuild alerts sent before a restart, and wait for their message ids to be saved. */
  approvals?: ApprovalLookup;
}

/** What the handlers need of the stored approvals (bot/alert-refs.ts provides it). */
export interface ApprovalLookup {
  record(approvalId: string): Promise<{ id: string; payload: unknown; expires_at: Date } | null>;
  /** Resolves once the alert's message ids are stored; a decision must not race that write. */
  settled(approvalId: string): Promise<void>;
}

/** What a transport does after a button tap. */
export interface ButtonResult {
  /** Short answer to the person who tapped (toast / ephemeral). */
  toast: string;
  /** New content for the tapped message; absent = leave it as it is. */
  edit?: Reply;
  /** Remove the buttons of the tapped message, keeping its text (when there is no `edit`). */
  dropButtons?: boolean;
  /** The approval this tap decided (transports then update their other copies). */
  approvalId?: string;
}

interface AlertEntry {
  /** Absent for approvals whose alert this process never sent (e.g. raised before a restart). */
  event?: SignalEvent;
  decision?: Decision;
  seenAt: number;
}

export class ChatHandlers {
  private readonly control: BotControl;
  private readonly allow: AllowLists;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly confirmations: ConfirmationBook;
  private readonly alerts = new Map<string, AlertEntry>();
  private readonly confirmTtl: number;
  private readonly deciding = new Set<string>();
  private readonly approvals: ApprovalLookup | null;

  constructor(o: ChatHandlersOptions) {
    this.control = o.control;
    this.allow = o.allow;
    this.logger = o.logger;
    this.now = o.now ?? Date.now;
    this.confirmTtl = o.confirmTtlMs ?? 60_000;
    this.confirmations = new ConfirmationBook(this.confirmTtl, o.newNonce);
    this.approvals = o.approvals ?? null;
  }

  /** Whether this person may command the bot (transports use it to pick a private refusal). */
  allowed(actor: Actor): boolean {
    return isAllowed(this.allow, actor);
  }

  /** A reply to a command, or null when the text is not a command (ignored). */
  async onCommand(actor: Actor, input: string): Promise<Reply | null> {
    const parsed = parseCommand(input);
    if (!parsed) return null;
    if (!isAllowed(this.allow, actor)) {
      logRefusal(this.logger, actor, input);
      return reply([text(REFUSAL)]);
    }
    if (!parsed.ok) return reply([text(parsed.message)]);
    const cmd = parsed.command;
    this.logger.info({ platform: actor.platform, userId: actor.userId, command: cmd.name }, 'chat: command');
    try {
      return await this.run(cmd, actor);
    } catch (err) {
      this.logger.error({ err: errText(err), command: cmd.name, platform: actor.platform }, 'chat: command failed');
      return reply([text(`⚠️ /${cmd.name} failed: ${errText(err)}`)]);
    }
  }

  private async run(cmd: Command, actor: Actor): Promise<Reply> {
    const by = actorLabel(actor);
    switch (cmd.name) {
      case 'help':
        return helpReply();
      case 'status':
        return statusReply(await this.control.status(), this.now());
      case 'positions':
        return positionsReply(await this.control.positions());
      case 'pause':
        await this.control.pause(by);
        return reply([text('⏸ Paused: no new entries. Open trades are still managed (stops, targets, exits). /resume to continue.')]);
      case 'resume':
        await this.control.resume(by);
        return reply([text('▶️ Resumed: new signals will be traded again.')]);
      case 'mode':
        await this.control.setMode(cmd.mode, by);
        return reply([text(cmd.mode === 'auto' ? '⚡ Mode auto: signals are executed at once.' : '✋ Mode approve: every signal waits for a tap on Approve.')]);
      case 'stats':
        return statsReply(await this.control.stats(cmd.period), `📊 Stats — ${cmd.period}`);
      case 'close': {
        if (cmd.target !== 'all') return closeReply([await this.control.close(cmd.target, by)]);
        const open = await this.control.positions();
        if (!open.length) return reply([text('No open positions to close.')]);
        const { nonce } = this.confirmations.open({ action: 'close_all', platform: actor.platform, userId: actor.userId }, this.now());
        const ttl = duration(this.confirmTtl);
        return reply(
          [title(`Close ALL ${open.length} positions at market?`), text(`${open.map((p) => p.symbol).join(', ')}\nThis button works once, for ${ttl}, for you only.`)],
          [
            { id: confirmButtonId(nonce), label: `Close all ${open.length}`, style: 'danger' },
            { id: cancelButtonId(nonce), label: 'Cancel', style: 'secondary' },
          ],
        );
      }
    }
  }

  async onButton(actor: Actor, id: string): Promise<ButtonResult> {
    if (!isAllowed(this.allow, actor)) {
      logRefusal(this.logger, actor, `button ${id}`);
      return { toast: REFUSAL };
    }
    const action = parseButtonId(id);
    if (!action) return { toast: 'This button is no longer valid.' };
    const by = actorLabel(actor);
    try {
      switch (action.kind) {
        case 'approve':
        case 'reject': {
          // Decided already (here or on the other platform): answer without asking the runtime again.
          const known = this.decisionOf(action.approvalId);
          if (known) return { toast: decisionToast({ kind: 'already_decided', status: known.outcome.kind }), edit: this.alertReply(action.approvalId), approvalId: action.approvalId };
          // A double tap, or a tap on the other platform while the first decision is still executing.
          if (this.deciding.has(action.approvalId)) return { toast: '⏳ Already being decided — nothing changed' };
          this.deciding.add(action.approvalId);
          let outcome: ApprovalOutcome;
          try {
            await this.approvals?.settled(action.approvalId);
            outcome = action.kind === 'approve' ? await this.control.approve(action.approvalId, by) : await this.control.reject(action.approvalId, by);
          } finally {
            this.deciding.delete(action.approvalId);
          }
          this.logger.info({ approvalId: action.approvalId, action: action.kind, outcome: outcome.kind, platform: actor.platform, userId: actor.userId }, 'chat: approval tap');
          if (isFinal(outcome)) this.recordDecision(action.approvalId, outcome, by);
          await this.restore(action.approvalId);
          const edit = this.alertReply(action.approvalId) ?? (isFinal(outcome) ? reply([text(decisionLine({ outcome, by }))]) : undefined);
          // A stale alert (e.g. from before a restart) loses its buttons so nobody keeps tapping it.
          return { toast: decisionToast(outcome), edit, dropButtons: !edit, approvalId: action.approvalId };
        }
        case 'cancel': {
          const r = this.confirmations.take(action.nonce, actor, this.now());
          if (!r.ok) return { toast: r.reason === 'other_user' ? 'Only the person who asked can cancel this.' : 'Nothing to cancel any more.' };
          return { toast: 'Cancelled', edit: reply([text('Cancelled — nothing was closed.')]) };
        }
        case 'confirm': {
          const r = this.confirmations.take(action.nonce, actor, this.now());
          if (!r.ok) {
            const why = r.reason === 'expired' ? 'This confirmation expired. Send /close all again.' : r.reason === 'other_user' ? 'Only the person who asked can confirm this.' : 'This confirmation was already used or is unknown.';
            return { toast: why, edit: r.reason === 'other_user' ? undefined : reply([text(`⌛ ${why}`)]) };
          }
          this.logger.warn({ platform: actor.platform, userId: actor.userId }, 'chat: close all confirmed');
          const results = await this.control.closeAll(by);
          return { toast: `Closed ${results.filter((x) => x.closed).length} of ${results.length}`, edit: closeReply(results) };
        }
      }
    } catch (err) {
      this.logger.error({ err: errText(err), button: id, platform: actor.platform }, 'chat: button failed');
      return { toast: `⚠️ Failed: ${errText(err)}`.slice(0, 190) };
    }
  }

  /** Remembers an alert so decisions can be shown on it; returns its message. */
  trackSignal(e: SignalEvent): Reply {
    this.prune();
    if (e.approval) this.alerts.set(e.approval.id, { event: e, seenAt: this.now() });
    return signalAlert(e, this.now());
  }

  recordDecision(approvalId: string, outcome: ApprovalOutcome, by: string | null): void {
    if (!isFinal(outcome)) return;
    let entry = this.alerts.get(approvalId);
    if (!entry) this.alerts.set(approvalId, (entry = { seenAt: this.now() }));
    // The first final decision stands (the runtime guarantees the same; this keeps the text stable).
    if (!entry.decision) entry.decision = { outcome, by };
    else if (entry.decision.outcome.kind === outcome.kind && !entry.decision.by && by) entry.decision.by = by;
  }

  /** The alert as it should look now (with its decision), or undefined when unknown. */
  alertReply(approvalId: string): Reply | undefined {
    const entry = this.alerts.get(approvalId);
    if (!entry?.event) return undefined;
    return signalAlert(entry.event, this.now(), entry.decision);
  }

  /**
   * Rebuilds an alert this process did not send (raised before a restart) from the stored
   * approval, so its message can be edited in full. The risk budget is not stored: it is left out.
   */
  async restore(approvalId: string): Promise<void> {
    const entry = this.alerts.get(approvalId);
    if (entry?.event || !this.approvals) return;
    const rec = await this.approvals.record(approvalId).catch(() => null);
    const signal = rec?.payload as Signal | undefined;
    if (!rec || !signal || typeof signal !== 'object' || !signal.targets) return;
    const event: SignalEvent = {
      type: 'signal', signal, approval: { id: rec.id, expiresAt: rec.expires_at.getTime() }, sizeQty: 0, riskUsd: Number.NaN,
      modelLoaded: signal.mlProbability !== null && signal.mlProbability !== undefined,
    };
    const now = this.alerts.get(approvalId);
    if (now) now.event = event;
    else this.alerts.set(approvalId, { event, seenAt: this.now() });
  }

  decisionOf(approvalId: string): Decision | undefined {
    return this.alerts.get(approvalId)?.decision;
  }

  /** Drops decided alerts older than `maxAgeMs` so memory stays bounded. */
  prune(maxAgeMs = 24 * 3600_000): void {
    const cutoff = this.now() - maxAgeMs;
    for (const [k, v] of this.alerts) if (v.seenAt < cutoff && (v.decision || (v.event?.approval?.expiresAt ?? 0) < cutoff)) this.alerts.delete(k);
  }
}

/** Error text fit for a chat message or a log line: no URL credentials or bot tokens, one short line. */
export function errText(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  return raw
    .replace(/(\w+:\/\/)[^\s/@:]+(:[^\s/@]*)?@/g, '$1***@')
    .replace(/bot\d+:[\w-]{20,}/g, 'bot<token>')
    .replace(/\s+/g, ' ')
    .slice(0, 300);
}
