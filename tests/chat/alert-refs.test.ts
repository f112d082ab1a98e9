// The alert message ids are written into the approval row without ever undoing a decision: the
// whole row is rewritten, so the write happens only while the row is pending and far from expiry.
import { describe, expect, it } from 'vitest';
import { AlertRefBook, type ApprovalStore } from '../../bot/alert-refs.js';
import type { ApprovalRecord } from '../../src/storage/store.js';
import { approval } from '../storage/fixtures.js';
import { captureLogger } from './log-capture.js';

/** Approvals in a Map; every upsert is recorded. */
function memoryStore(rows: ApprovalRecord[]): ApprovalStore & { rows: Map<string, ApprovalRecord>; upserts: ApprovalRecord[] } {
  const map = new Map(rows.map((r) => [r.id, r]));
  const upserts: ApprovalRecord[] = [];
  return {
    rows: map,
    upserts,
    getApproval: async (id) => (map.has(id) ? structuredClone(map.get(id)!) : null),
    upsertApproval: async (a) => {
      upserts.push(structuredClone(a));
      map.set(a.id, structuredClone(a));
    },
    pendingApprovals: async () => [...map.values()].filter((a) => a.status === 'pending'),
    flush: async () => {},
  };
}

const NOW = Date.parse('2026-03-02T10:16:00Z');
const tgRef = { platform: 'telegram' as const, chatId: '-1001', messageId: '100' };
const dcRef = { platform: 'discord' as const, chatId: '888', messageId: '123456789' };

describe('AlertRefBook', () => {
  it('stores both platforms\' message ids in the pending approval and changes nothing else', async () => {
    const rec = approval({ messages: [], expires_at: new Date(NOW + 120_000) });
    const store = memoryStore([rec]);
    const book = new AlertRefBook(store, captureLogger().logger, () => NOW);
    book.remember(rec.id, tgRef);
    book.remember(rec.id, dcRef); // while the first write is under way
    await book.settled(rec.id);
    const saved = store.rows.get(rec.id)!;
    expect(saved.messages).toEqual([tgRef, dcRef]);
    expect({ ...saved, messages: [], updated_at: rec.updated_at }).toEqual(rec);
    expect(await book.find(rec.id, 'discord')).toEqual(dcRef);
  });

  it('never writes over a decided approval or one about to expire', async () => {
    const decided = approval({ status: 'approved', decided_by: '@a (telegram)', messages: [], expires_at: new Date(NOW + 120_000) });
    const closing = approval({ messages: [], expires_at: new Date(NOW + 4_000) });
    const store = memoryStore([decided, closing]);
    const book = new AlertRefBook(store, captureLogger().logger, () => NOW);
    book.remember(decided.id, tgRef);
    book.remember(closing.id, tgRef);
    await book.settled(decided.id);
    await book.settled(closing.id);
    expect(store.upserts).toEqual([]);
    expect(store.rows.get(decided.id)!.status).toBe('approved');
    // In memory the ids are still known to this process.
    expect(await book.find(closing.id, 'telegram')).toEqual(tgRef);
  });

  it('finds ids stored by an earlier process, and lists alerts that expired while it was down', async () => {
    const old = approval({ messages: [tgRef], expires_at: new Date(NOW - 1_000) });
    const live = approval({ messages: [dcRef], expires_at: new Date(NOW + 60_000) });
    const silent = approval({ messages: [], expires_at: new Date(NOW - 1_000) });
    const book = new AlertRefBook(memoryStore([old, live, silent]), captureLogger().logger, () => NOW);
    expect(await book.find(live.id, 'discord')).toEqual(dcRef);
    expect(await book.find(live.id, 'telegram')).toBeUndefined();
    expect((await book.expiredWhileDown()).map((a) => a.id)).toEqual([old.id]);
  });

  it('a store that fails is logged, never thrown', async () => {
    const rec = approval({ messages: [], expires_at: new Date(NOW + 120_000) });
    const store = memoryStore([rec]);
    store.upsertApproval = async () => {
      throw new Error('database unreachable');
    };
    const log = captureLogger();
    const book = new AlertRefBook(store, log.logger, () => NOW);
    book.remember(rec.id, tgRef);
    await book.settled(rec.id);
    expect(log.lines().some((l) => l.msg === 'chat: could not store the alert message id' && l.err === 'database unreachable')).toBe(true);
  });
});
