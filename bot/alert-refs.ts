// Where each approval alert was posted (Telegram chat/message id, Discord channel/message id),
// kept in memory and in the approval's `messages` column, so that after a restart a decision or
// an expiry still edits the original alert instead of posting a loose note.
import type { Logger } from 'pino';
import type { ApprovalRecord, Store } from '../src/storage/store.js';

export type AlertRef = ApprovalRecord['messages'][number];
export type ApprovalStore = Pick<Store, 'getApproval' | 'upsertApproval' | 'pendingApprovals' | 'flush'>;

/**
 * Saving rewrites the whole approval row, so it must never run into a decision: it is skipped
 * unless the row is still pending with this much time left (the runtime's expiry timer cannot
 * fire in between), and taps wait for `settled()` before they decide.
 */
const SAFETY_MARGIN_MS = 5_000;

export class AlertRefBook {
  private readonly refs = new Map<string, AlertRef[]>();
  private readonly saving = new Map<string, Promise<void>>();

  constructor(
    private readonly store: ApprovalStore | null,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records where an alert went; the database write runs in the background (see settled()). */
  remember(approvalId: string, ref: AlertRef): void {
    const list = this.refs.get(approvalId) ?? [];
    this.refs.set(approvalId, [...list.filter((r) => r.platform !== ref.platform), ref]);
    if (this.refs.size > 2000) this.refs.delete(this.refs.keys().next().value!);
    if (!this.store) return;
    const prev = this.saving.get(approvalId) ?? Promise.resolve();
    const next = prev.then(() => this.save(approvalId)).catch((err) => {
      this.logger.warn({ approvalId, err: err instanceof Error ? err.message : String(err) }, 'chat: could not store the alert message id');
    });
    this.saving.set(approvalId, next);
    void next.finally(() => {
      if (this.saving.get(approvalId) === next) this.saving.delete(approvalId);
    });
  }

  /** Resolves when the message ids of this approval are written (or given up on). */
  async settled(approvalId: string): Promise<void> {
    await this.saving.get(approvalId);
  }

  /** The alert message on `platform`: from memory, else from the store (alerts sent before a restart). */
  async find(approvalId: string, platform: AlertRef['platform']): Promise<AlertRef | undefined> {
    const mine = this.refs.get(approvalId)?.find((r) => r.platform === platform);
    if (mine || !this.store) return mine;
    const rec = await this.record(approvalId);
    return rec?.messages?.find((r) => r.platform === platform);
  }

  /** The stored approval (signal payload, expiry, message ids), or null when unknown or unreachable. */
  async record(approvalId: string): Promise<ApprovalRecord | null> {
    if (!this.store) return null;
    return this.store.getApproval(approvalId).catch((err) => {
      this.logger.warn({ approvalId, err: err instanceof Error ? err.message : String(err) }, 'chat: could not read the approval');
      return null;
    });
  }

  /** Pending approvals whose window closed while the process was down, with alerts to close out. */
  async expiredWhileDown(): Promise<ApprovalRecord[]> {
    if (!this.store) return [];
    const all = await this.store.pendingApprovals().catch(() => [] as ApprovalRecord[]);
    const now = this.now();
    return all.filter((a) => a.expires_at.getTime() <= now && (a.messages ?? []).length > 0);
  }

  private async save(approvalId: string): Promise<void> {
    const store = this.store!;
    // The runtime's own write of the approval may still sit in the journal.
    await store.flush(10_000).catch(() => undefined);
    const rec = await store.getApproval(approvalId);
    if (!rec || rec.status !== 'pending') return;
    if (rec.expires_at.getTime() - this.now() < SAFETY_MARGIN_MS) return;
    const mine = this.refs.get(approvalId) ?? [];
    const kept = (rec.messages ?? []).filter((m) => !mine.some((r) => r.platform === m.platform));
    await store.upsertApproval({ ...rec, messages: [...kept, ...mine], updated_at: new Date(this.now()) });
  }
}
