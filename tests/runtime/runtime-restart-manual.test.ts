// The trader closes part or all of a bot-managed position by hand on Bybit while the bot is down
// (a reduce execution with no orderLinkId of ours). After the restart the trade's net PnL must be
// what the exchange's executions say: every exit vs the entry, minus every fee (entry, the manual
// part, the final exit). The whole Runtime with a PGlite store and the real bybit-api client
// against the fake Bybit, like runtime-restart.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { uuidFor } from '../../src/runtime/records.js';
import { openStore } from '../../src/storage/open.js';
import type { Store, TradeRecord } from '../../src/storage/store.js';
import type { BotEvent } from '../../handlers/control.js';
import { startFakeBybit, type FakeBybit } from '../fakes/bybit/server.js';
import { manualReduce, type FakeExecution } from '../fakes/bybit/state.js';
import { adapterFor, until } from '../exchange/helpers.js';
import type { ExchangePort } from '../../src/exchange/port.js';
import { cleanups, longSignal, runtimeOn } from './harness.js';

const MODE = 'testnet';



/** Opens a long through the runtime, then stops the process mid-trade. Returns what the next process needs. */
async function openTradeThenStop(fake: FakeBybit) {
  const dir = mkdtempSync(join(tmpdir(), 'smc-manual-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store1 = await openStore({ DATA_DIR: dir });
  const rt1 = runtimeOn(fake, store1, []);
  await rt1.start();
  const equityBefore = rt1.session.equity;
  const signal = longSignal(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
  expect((await rt1.executeSignal(signal, null)).ok).toBe(true);
  await until(async () => { await rt1.idle(); return (rt1.session.openTrades().get('BTCUSDT')?.qty ?? 0) > 0; }, 'entry fill through the stream');
  await rt1.stop();
  await store1.close();
  return { dir, equityBefore, tradeRowId: uuidFor('trade', `T-BTCUSDT-${signal.time}`, MODE) };
}

async function restart(fake: FakeBybit, dir: string, exchange?: ExchangePort) {
  const store = await openStore({ DATA_DIR: dir });
  cleanups.push(() => store.close());
  const published: BotEvent[] = [];
  const rt = runtimeOn(fake, store, published, exchange ? { exchange } : {});
  await rt.start();
  await rt.idle();
  return { rt, store, published };
}

/** The trade as the exchange booked it: exits vs entry (signed notional) minus every fee. */
function exchangeBooks(fake: FakeBybit) {
  const all = fake.state.executions.filter((e) => e.symbol === 'BTCUSDT');
  const fees = all.reduce((a, e) => a + e.execFee, 0);
  const exits = all.filter((e) => e.closedSize > 0);
  const exitQty = exits.reduce((a, e) => a + e.execQty, 0);
  const net = all.reduce((a, e) => a + (e.side === 'Sell' ? 1 : -1) * e.execPrice * e.execQty, 0) - fees;
  return { all, fees, net, exits, exitPrice: exits.reduce((a, e) => a + e.execPrice * e.execQty, 0) / exitQty };
}

async function onlyTradeRow(store: Store): Promise<TradeRecord> {
  await store.flush(5_000);
  expect(await store.openTrades(MODE)).toEqual([]);
  const rows = await store.tradesBetween(new Date(0), new Date(Date.now() + 86_400_000), MODE);
  expect(rows).toHaveLength(1);
  return rows[0];
}

describe('a manual close on Bybit while the bot was down counts in the trade', () => {
  it('partial close by hand, then the stop after the restart: net PnL, fees and equity are the exchange executions', async () => {
    const fake = await startFakeBybit();
    cleanups.push(() => fake.close());
    const { dir, equityBefore, tradeRowId } = await openTradeThenStop(fake);
    const entry = fake.state.executions.find((e) => e.symbol === 'BTCUSDT' && e.closedSize === 0)!;
    // While nobody runs: the trader takes 40 % off in profit.
    fake.state.setPrice('BTCUSDT', 60_600);
    const size = fake.state.positions.get('BTCUSDT')!.size;
    const manual = manualReduce(fake.state, 'BTCUSDT', Math.round(size * 0.4 * 1000) / 1000);
    expect(manual.exec.orderLinkId).toBe('');
    const left = fake.state.positions.get('BTCUSDT')!.size;
    expect(left).toBeLessThan(size);

    const { rt, store, published } = await restart(fake, dir);
    const resumed = rt.session.openTrades().get('BTCUSDT')!;
    expect(resumed.qty - resumed.exitQty).toBeCloseTo(left, 9); // what is still open
    expect(published.filter((e) => e.type === 'trade_closed')).toHaveLength(0);

    // After the restart the exchange's stop closes the rest.
    fake.state.setPrice('BTCUSDT', 59_300);
    await until(async () => { await rt.idle(); return published.some((e) => e.type === 'trade_closed'); }, 'trade closed after restart');
    const stopFill = fake.state.executions.find((e) => e.stopOrderType === 'StopLoss')!;
    const books = exchangeBooks(fake);
    expect(books.exits.map((e) => e.execId)).toEqual([manual.exec.execId, stopFill.execId]);
    // The same number from Bybit's realised PnL of each exit and the three fees.
    const realised = manual.realisedPnl + (stopFill.execPrice - entry.execPrice) * stopFill.execQty;
    expect(books.net).toBeCloseTo(realised - entry.execFee - manual.exec.execFee - stopFill.execFee, 6);

    const closed = published.find((e) => e.type === 'trade_closed');
    expect(closed?.type === 'trade_closed' && closed.pnlUsd).toBeCloseTo(books.net, 6);
    expect(closed?.type === 'trade_closed' && closed.reason).toBe('stop_loss');
    // Equity moved by the trade's net PnL, in the session and on the exchange.
    expect(rt.session.equity - equityBefore).toBeCloseTo(books.net, 6);
    expect(fake.state.wallet.equity - equityBefore).toBeCloseTo(books.net, 6);
    const row = await onlyTradeRow(store);
    expect(row.id).toBe(tradeRowId);
    expect(row.pnl_usd).toBeCloseTo(books.net, 6);
    expect(row.fees_usd).toBeCloseTo(books.fees, 6);
    expect(row.exit_price).toBeCloseTo(books.exitPrice, 6);
    expect(row).toMatchObject({ exit_reason: 'stop_loss', position_size: entry.execQty, exit_time: new Date(stopFill.execTime) });
    expect(rt.session.openTradeCount).toBe(0);
  });

  it('whole position closed by hand while down: closed from the executions as manual, with every fee', async () => {
    const fake = await startFakeBybit();
    cleanups.push(() => fake.close());
    const { dir, equityBefore, tradeRowId } = await openTradeThenStop(fake);
    fake.state.setPrice('BTCUSDT', 59_800);
    const manual = manualReduce(fake.state, 'BTCUSDT', fake.state.positions.get('BTCUSDT')!.size);
    expect(fake.state.positions.get('BTCUSDT')!.size).toBe(0);

    const { rt, store, published } = await restart(fake, dir);
    expect(rt.session.openTradeCount).toBe(0); // nothing adopted
    const books = exchangeBooks(fake);
    const row = await onlyTradeRow(store);
    expect(row).toMatchObject({ id: tradeRowId, exit_reason: 'manual', exit_price: manual.exec.execPrice, exit_time: new Date(manual.exec.execTime) });
    expect(row.pnl_usd).toBeCloseTo(books.net, 6);
    expect(row.fees_usd).toBeCloseTo(books.fees, 6);
    expect(fake.state.wallet.equity - equityBefore).toBeCloseTo(books.net, 6);
    expect(published.filter((e) => e.type === 'error')).toEqual([]);
  });

  it('partial close by hand, then the stop, both while down: one row over both exits, every fee, exit reason stop_loss', async () => {
    const fake = await startFakeBybit();
    cleanups.push(() => fake.close());
    const { dir, tradeRowId } = await openTradeThenStop(fake);
    fake.state.setPrice('BTCUSDT', 60_500);
    const size = fake.state.positions.get('BTCUSDT')!.size;
    const manual = manualReduce(fake.state, 'BTCUSDT', Math.round(size * 0.5 * 1000) / 1000);
    // A later millisecond than the manual fill (the fake stamps Date.now()), as on Bybit.
    await new Promise((r) => setTimeout(r, 5));
    fake.state.setPrice('BTCUSDT', 59_350); // the exchange's stop takes the rest
    const stopFill: FakeExecution = fake.state.executions.find((e) => e.stopOrderType === 'StopLoss')!;

    const { rt, store } = await restart(fake, dir);
    expect(rt.session.openTradeCount).toBe(0);
    const books = exchangeBooks(fake);
    expect(books.exits.map((e) => e.execId)).toEqual([manual.exec.execId, stopFill.execId]);
    const row = await onlyTradeRow(store);
    expect(row).toMatchObject({ id: tradeRowId, exit_reason: 'stop_loss', exit_time: new Date(stopFill.execTime) });
    expect(row.exit_price).toBeCloseTo(books.exitPrice, 6);
    expect(row.pnl_usd).toBeCloseTo(books.net, 6);
    expect(row.fees_usd).toBeCloseTo(books.fees, 6);
  });

  it('a reduction by hand landing between the start-up position read and the execution read is counted once, not lost', async () => {
    const fake = await startFakeBybit();
    cleanups.push(() => fake.close());
    const { dir, equityBefore, tradeRowId } = await openTradeThenStop(fake);
    fake.state.setPrice('BTCUSDT', 60_600);
    const size = fake.state.positions.get('BTCUSDT')!.size;
    // The trader clicks right after the new process has read the positions.
    const ex = adapterFor(fake);
    const readPositions = ex.positions.bind(ex);
    let manual: ReturnType<typeof manualReduce> | null = null;
    ex.positions = async () => {
      const read = await readPositions();
      manual ??= manualReduce(fake.state, 'BTCUSDT', Math.round(size * 0.4 * 1000) / 1000);
      return read;
    };
    const { rt, store, published } = await restart(fake, dir, ex);
    expect(manual).not.toBeNull();
    const left = fake.state.positions.get('BTCUSDT')!.size;
    const resumed = rt.session.openTrades().get('BTCUSDT')!;
    expect(resumed.qty - resumed.exitQty).toBeCloseTo(left, 9);

    fake.state.setPrice('BTCUSDT', 59_300);
    await until(async () => { await rt.idle(); return published.some((e) => e.type === 'trade_closed'); }, 'trade closed after restart');
    const books = exchangeBooks(fake);
    expect(books.exits).toHaveLength(2);
    expect(rt.session.equity - equityBefore).toBeCloseTo(books.net, 6);
    const row = await onlyTradeRow(store);
    expect(row.id).toBe(tradeRowId);
    expect(row.pnl_usd).toBeCloseTo(books.net, 6);
    expect(row.fees_usd).toBeCloseTo(books.fees, 6);
    expect(row.exit_price).toBeCloseTo(books.exitPrice, 6);
  });
});
