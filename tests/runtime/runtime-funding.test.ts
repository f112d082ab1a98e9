// Bybit funding settlements on a live trade: the real Runtime and bybit-api client against the fake
// Bybit, which books funding as Bybit does (an execution with execType Funding, the position's side
// and size, execFee = what the position paid). The trade's funding and the equity take it, once.
import { describe, expect, it } from 'vitest';
import type { BotEvent } from '../../handlers/control.js';
import { startFakeBybit } from '../fakes/bybit/server.js';
import { adapterFor, until } from '../exchange/helpers.js';
import { cleanups, longSignal, runtimeOn } from './harness.js';

describe('runtime: Bybit funding', () => {
  it('a settlement is booked on the open trade (paid and received), a repeated one once, and none of it is a fill', async () => {
    const fake = await startFakeBybit();
    cleanups.push(() => fake.close());
    const published: BotEvent[] = [];
    const rt = runtimeOn(fake, null, published);
    await rt.start();
    const time = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    expect((await rt.executeSignal(longSignal(time), null)).ok).toBe(true);
    await until(async () => { await rt.idle(); return (rt.session.openTrades().get('BTCUSDT')?.qty ?? 0) > 0; }, 'entry fill');
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
    await rt.runExclusive(async () => { rt.session.requestClose('BTCUSDT'); await rt.processDrained(); });
    await until(async () => { await rt.idle(); return published.some((e) => e.type === 'trade_closed'); }, 'trade closed');
    const closed = published.find((e): e is Extract<BotEvent, { type: 'trade_closed' }> => e.type === 'trade_closed')!;
    const gross = (closed.exitPrice - trade.entryCost / trade.qty) * trade.qty;
    expect(closed.pnlUsd).toBeCloseTo(gross - trade.fees - (paid.execFee + received.execFee), 6);
  });
});
