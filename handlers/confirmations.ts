// Pending confirmations for dangerous commands (/close all): a single-use nonce bound to the person
// who asked, valid for a short time. A tap by someone else, a second tap or a late tap does nothing.
import { randomBytes } from 'node:crypto';
import type { Platform } from './auth.js';

export interface PendingConfirmation {
  action: 'close_all';
  platform: Platform;
  userId: string;
  expiresAt: number;
}

export type TakeResult = { ok: true; pending: PendingConfirmation } | { ok: false; reason: 'unknown' | 'expired' | 'other_user' };

export class ConfirmationBook {
  private readonly pending = new Map<string, PendingConfirmation>();

  constructor(private readonly ttlMs: number, private readonly newNonce: () => string = () => randomBytes(6).toString('hex')) {}

  open(p: Omit<PendingConfirmation, 'expiresAt'>, now: number): { nonce: string; expiresAt: number } {
    for (const [k, v] of this.pending) if (v.expiresAt <= now) this.pending.delete(k);
    const nonce = this.newNonce();
    const expiresAt = now + this.ttlMs;
    this.pending.set(nonce, { ...p, expiresAt });
    return { nonce, expiresAt };
  }

  /** Uses up the nonce when it is valid for this person; an expired one is dropped. */
  take(nonce: string, who: { platform: Platform; userId: string }, now: number): TakeResult {
    const p = this.pending.get(nonce);
    if (!p) return { ok: false, reason: 'unknown' };
    if (p.expiresAt <= now) {
      this.pending.delete(nonce);
      return { ok: false, reason: 'expired' };
    }
    if (p.platform !== who.platform || p.userId !== who.userId) return { ok: false, reason: 'other_user' };
    this.pending.delete(nonce);
    return { ok: true, pending: p };
  }
}
