// SPEC §3 hybrid entry on the fake exchange: limit 0.1 % better, wait, cancel, chase with market
// only while price moved less than 25 % of the target; partial fills kept. Sleep is injected and
// moves the fake's price, so the test scripts what happens while the executor waits.
import { afterEach, describe, expect, it } from 'vitest';
import { OrderExecutor } from '../../src/exchange/order-executor.js';
import { fakeAndAdapter } from './helpers.js';
import { MemoryJournal } from './memory-journal.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => { await cleanup?.(); cleanup = undefined; });

/** A clock that only advances when the executor sleeps; `onSleep` runs after each advance. */
function fakeClock(onSleep: (t: number) => void) {
  let t = 1_700_000_000_000;
  return { now: () => t, sleep: async (ms: number) => { t += ms; onSleep(t); } };
}

async function setup(onSleep: (t: number, fake: Awaited<ReturnType<typeof fakeAndAdapter>>['fake']) => void) {
  const { fake, ex, close } = await fakeAndAdapter();
  cleanup = close;
  const journal = new MemoryJournal();
  const clock = fakeClock((t) => onSleep(t, fake));
  const exec = new OrderExecutor({ exchange: ex, journal, lookupAttempts: 2, lookupBackoffMs: 1, pollMs: 10_000, now: clock.now, sleep: clock.sleep });
  return { fake, ex, exec, journal, start: clock.now() };
}

// Long at 60 000, TP 61 200 (target distance 1 200), SL 59 400; limit goes to 59 940.
const req = { symbol: 'BTCUSDT', direction: 'long' as const, qty: 0.01, signalPrice: 60_000, takeProfit: 61_200, stopLoss: 59_400, targetDistance: 1_200, limitOffset: 0.001, limitTimeoutSeconds: 120, chaseMaxTargetFraction: 0.25 };

describe('hybrid limit-then-market entry', () => {
  it('fills at the limit when price comes back within the timeout', async () => {
    const { fake, ex, exec } = await setup((t, f) => { if (f.state.orders.length) f.state.setPrice('BTCUSDT', 59_930); });
    const r = await exec.enterHybrid(req);
    expect(r).toMatchObject({ outcome: 'filled', filledQty: 0.01, entryOrderType: 'limit', avgPrice: 59_940 });
    expect(fake.state.orders[0]).toMatchObject({ orderType: 'Limit', price: 59_940, orderStatus: 'Filled' });
    expect((await ex.positions())[0]).toMatchObject({ size: 0.01, stopLoss: 59_400, takeProfit: 61_200 });
  });

  it('keeps a partial limit fill and chases only the remainder with market when price barely moved', async () => {
    const { fake, ex, exec } = await setup((_t, f) => {
      const limit = f.state.orders[0];
      if (limit && limit.cumExecQty === 0) f.state.fill(limit, 0.004, limit.price, true);
      f.state.setPrice('BTCUSDT', 60_100); // +100 < 25 % of 1 200
    });
    const r = await exec.enterHybrid(req);
    expect(r.outcome).toBe('filled');
    expect(r.entryOrderType).toBe('market');
    expect(r.filledQty).toBeCloseTo(0.01, 12);
    const [limit, market] = fake.state.orders;
    expect(limit).toMatchObject({ orderType: 'Limit', orderStatus: 'Cancelled', cumExecQty: 0.004 });
    expect(market).toMatchObject({ orderType: 'Market', qty: 0.006, orderStatus: 'Filled', stopLoss: 59_400 });
    expect(r.avgPrice).toBeCloseTo((0.004 * 59_940 + 0.006 * 60_100) / 0.01, 6);
    expect((await ex.positions())[0]).toMatchObject({ size: 0.01, stopLoss: 59_400 });
  });

  it('records entry_missed when nothing filled and price ran more than 25 % of the target', async () => {
    const { fake, ex, exec } = await setup((_t, f) => f.state.setPrice('BTCUSDT', 60_400)); // +400 > 300
    const r = await exec.enterHybrid(req);
    expect(r).toMatchObject({ outcome: 'entry_missed', filledQty: 0, avgPrice: null });
    expect(fake.state.orders).toHaveLength(1);
    expect(fake.state.orders[0].orderStatus).toBe('Cancelled');
    expect(await ex.positions()).toEqual([]);
  });

  it('keeps a partial fill without chasing when price ran, and the position has its stop', async () => {
    const { fake, ex, exec } = await setup((_t, f) => {
      const limit = f.state.orders[0];
      if (limit && limit.cumExecQty === 0) f.state.fill(limit, 0.003, limit.price, true);
      f.state.setPrice('BTCUSDT', 60_500);
    });
    const r = await exec.enterHybrid(req);
    expect(r).toMatchObject({ outcome: 'partial', filledQty: 0.003, entryOrderType: 'limit' });
    expect(fake.state.orders).toHaveLength(1);
    expect((await ex.positions())[0]).toMatchObject({ size: 0.003, stopLoss: 59_400 });
  });

  it('a short mirrors it: limit 0.1 % above, chase while price fell less than 25 %', async () => {
    const { fake, exec } = await setup((_t, f) => f.state.setPrice('BTCUSDT', 59_950));
    const r = await exec.enterHybrid({ ...req, direction: 'short', takeProfit: 58_800, stopLoss: 60_600 });
    expect(fake.state.orders[0]).toMatchObject({ side: 'Sell', orderType: 'Limit', price: 60_060 });
    expect(r).toMatchObject({ outcome: 'filled', entryOrderType: 'market', filledQty: 0.01 });
  });
});
