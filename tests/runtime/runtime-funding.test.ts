// Bybit funding settlements on a live trade: the real Runtime and bybit-api client against the fake
// Bybit, which books funding as Bybit does (an execution with execType Funding, the position's side
// and size, execFee = what the position paid). The trade's funding and the equity take it, once —
// also across a restart, and when the trade closed while the bot was down.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BotEvent } from '../../handlers/control.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { openStore } from '../../src/storage/open.js';
import type { Store } from '../../src/storage/store.js';
import { startFakeBybit, type FakeBybit } from '../fakes/bybit/server.js';
import { adapterFor, until } from '../exchange/helpers.js';
import { cleanups, closeTrade, openLong, runtimeOn } from './harness.js';

/** A started runtime on `fake` with a PGlite store in `dir` (the caller closes the store). */
async function runtimeWithStore(fake: FakeBybit, dir: string): Promise<{ rt: Runtime; store: Store; published: BotEvent[] }> {
  const store = await openStore({ DATA_DIR: dir });
  const published: BotEvent[] = [];
  const rt = runtimeOn(fake, store, published);
  await rt.start();
  return { rt, store, published };
}

/** runtimeWithStore with a long BTCUSDT trade open. */
async function tradingRuntime(fake: FakeBybit, dir: string) {
  const r = await runtimeWithStore(fake, dir);
  await openLong(r.rt);
  return r;
}

/** The second process after a restart: runtimeWithStore on the same folder, its store closed after the test. */
async function restarted(fake: FakeBybit, dir: string) {
  const r = await runtimeWithStore(fake, dir);
  cleanups.push(() => r.store.close());
  await r.rt.idle();
  return r;
}

async function storedTrade(store: Store) {
  await store.flush(5_000);
  const rows = await store.tradesBetween(new Date(0), new Date(Date.now() + 86_400_000), 'testnet');
  expect(rows).toHaveLength(1);
  return rows[0];
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'smc-funding-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('runtime: Bybit funding', () => {
  it('a settlement is booked on the open trade (paid and received), a repeated one once, and none of it is a fill', async () => {
    const fake = await startFakeBybit();
    cleanups.push(() => fake.close());
    const published: BotEvent[] = [];
    const rt = runtimeOn(fake, null, published);
    await rt.start();
    await openLong(rt);
    const trade = rt.session.openTrades().get('BTCUSDT')!;
    const equityBefore = rt.session.equity;

    // A positive rate: the long pays.
    const paid = fake.state.settleFunding('BTCUSDT', 0.0001, 60_000)!;
    expect(paid.execFee).toBeGreaterThan(0);
    await until(async () => { await rt.idle(); return trade.funding !== 0; }, 'first funding booked');
    expect(trade.funding).toBeCloseTo(paid.execFee, 10);
    // The stream repeats it (as after a reconnect), then a negative rate: the long receives.
    fake.state.events.emit('execution', paid, false);
    const received = fake.state.settleFunding('BTCUSDT', -0.0003, 60_000)!;
    expect(received.execFee).toBeLessThan(0);
    await until(async () => { await rt.idle(); return Math.abs(trade.funding - (paid.execFee + received.execFee)) < 1e-9; }, 'second funding booked');
    await rt.idle();
    expect(trade.funding).toBeCloseTo(paid.execFee + received.execFee, 10);
    expect(rt.session.equity).toBeCloseTo(equityBefore - paid.execFee - received.execFee, 10);
    // Position size untouched; the execution history's funding rows are not fills.
    expect(trade.qty).toBe(fake.state.positions.get('BTCUSDT')!.size);
    const fills = await adapterFor(fake).executions(0);
    expect(fills.map((f) => f.execId)).not.toContain(paid.execId);
    expect(fills.map((f) => f.execId)).not.toContain(received.execId);

    // Closed: the trade's net PnL carries the funding.
    await closeTrade(rt, published);
    const closed = published.find((e): e is Extract<BotEvent, { type: 'trade_closed' }> => e.type === 'trade_closed')!;
    const gross = (closed.exitPrice - trade.entryCost / trade.qty) * trade.qty;
    expect(closed.pnlUsd).toBeCloseTo(gross - trade.fees - (paid.execFee + received.execFee), 6);
  });

  it('a restart mid-trade: funding settled before it and while the bot was down stays in the trade, counted once', async () => {
    const fake = await startFakeBybit();
    cleanups.push(() => fake.close());
    const dir = tempDir();
    const first = await tradingRuntime(fake, dir);
    const before = fake.state.settleFunding('BTCUSDT', 0.0001, 60_000)!;
    await until(async () => { await first.rt.idle(); return first.rt.session.openTrades().get('BTCUSDT')!.funding !== 0; }, 'funding before the restart');
    await first.rt.stop();
    await first.store.close();
    const whileDown = fake.state.settleFunding('BTCUSDT', 0.0002, 60_100)!;

    const second = await restarted(fake, dir);
    const trade = second.rt.session.openTrades().get('BTCUSDT')!;
    expect(trade.funding).toBeCloseTo(before.execFee + whileDown.execFee, 10);
    // The private socket drops: the resync lists both settlements again; neither is counted twice.
    const reads = fake.requests.filter((r) => r.path === '/v5/execution/list').length;
    fake.faults.dropWs('private');
    await until(() => fake.requests.filter((r) => r.path === '/v5/execution/list').length > reads, 'resync after the drop');
    await second.rt.idle();
    expect(trade.funding).toBeCloseTo(before.execFee + whileDown.execFee, 10);

    await closeTrade(second.rt, second.published);
    const row = await storedTrade(second.store);
    expect(row.funding_usd).toBeCloseTo(before.execFee + whileDown.execFee, 10);
    const gross = (row.exit_price! - row.entry_price) * row.position_size;
    expect(row.pnl_usd!).toBeCloseTo(gross - row.fees_usd! - row.funding_usd!, 6);
  });

  it('a trade stopped out while the bot was down is closed out with the funding it paid', async () => {
    const fake = await startFakeBybit();
    cleanups.push(() => fake.close());
    const dir = tempDir();
    const first = await tradingRuntime(fake, dir);
    await first.rt.stop();
    await first.store.close();
    const paid = fake.state.settleFunding('BTCUSDT', 0.0001, 60_000)!;
    fake.state.setPrice('BTCUSDT', 59_300); // the stop (59 400) fills while nobody watches

    const second = await restarted(fake, dir);
    expect(second.rt.session.openTradeCount).toBe(0);
    const row = await storedTrade(second.store);
    expect(row.exit_reason).toBe('stop_loss');
    expect(row.funding_usd).toBeCloseTo(paid.execFee, 10);
    const gross = (row.exit_price! - row.entry_price) * row.position_size;
    expect(row.pnl_usd!).toBeCloseTo(gross - row.fees_usd! - paid.execFee, 6);
  });
});
