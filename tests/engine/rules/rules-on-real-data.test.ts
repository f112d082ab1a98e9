// The rule components wired together the way a simulated venue would use them, on real 1m BTC
// candles: entry model → portfolio → trade manager → exit fills → funding. Checks the accounting
// identity, the no-overlap rule, stop monotonicity and that a shorter run is a prefix of a longer one.
import { describe, expect, it } from 'vitest';
import { readCandles } from '../helpers/read-csv.js';
import { HybridEntry, exitFill, type Fill } from '../../../engine/fill-model.js';
import { fundingTimes } from '../../../engine/costs.js';
import { Portfolio } from '../../../engine/portfolio.js';
import { TradeManager } from '../../../engine/trade-manager.js';
import { computeTargets } from '../../../engine/targets.js';
import { positionSize } from '../../../engine/sizing.js';
import { DEFAULT_COINS, DEFAULT_PARAMS } from '../../../engine/params.js';
import type { Candle, Direction, ExitReason } from '../../../engine/types.js';

const M = 60_000;
const P = { ...DEFAULT_PARAMS, funding_rate: 0.0001 };
const coin = DEFAULT_COINS.BTCUSDT!;

interface Done { id: string; entryTime: number; exitTime: number; reason: ExitReason; net: number; entry: number; exit: number }

function simulate(candles: Candle[]): { trades: Done[]; portfolio: Portfolio; stopMoves: number } {
  const pf = new Portfolio(P.initial_equity);
  const trades: Done[] = [];
  let pending: { id: string; dir: Direction; e: HybridEntry; tp: number; sl: number; tpd: number; lev: number } | null = null;
  let open: { id: string; dir: Direction; m: TradeManager; lev: number } | null = null;
  let lastStop = NaN;
  let stopMoves = 0;
  const trs: number[] = [];
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i]!;
    const prev = candles[i - 1];
    for (const t of prev ? fundingTimes(prev.ts, c.ts) : []) pf.settleFunding(t, P.funding_rate, () => c.open);
    if (pending) {
      const out = pending.e.onCandle(c, M);
      if (out?.type === 'filled') {
        pf.applyEntry(pending.id, 'BTCUSDT', pending.dir, pending.lev, out.fill);
        open = {
          id: pending.id, dir: pending.dir, lev: pending.lev,
          m: new TradeManager({ direction: pending.dir, entryPrice: out.fill.price, entryTime: out.fill.time, takeProfit: pending.tp, stopLoss: pending.sl, tpDistance: pending.tpd, maxDurationMinutes: coin.max_trade_duration_minutes, params: P }),
        };
        lastStop = pending.sl;
        pending = null;
      } else if (out?.type === 'missed') pending = null;
    }
    if (open) {
      const o = open;
      const s = o.dir === 'long' ? 1 : -1;
      for (const a of o.m.onCandle(c, c.ts + M)) {
        if (a.type === 'move_stop') {
          expect(s * (a.stop - lastStop)).toBeGreaterThan(0);
          lastStop = a.stop;
          stopMoves++;
        } else {
          expect(a.price).toBeGreaterThanOrEqual(c.low);
          expect(a.price).toBeLessThanOrEqual(c.high);
          const pos = pf.position(o.id)!;
          const f: Fill = exitFill(o.dir, pos.qty, a.price, c.ts + M, P);
          const closed = pf.applyExit(o.id, f)!;
          trades.push({ id: o.id, entryTime: closed.openedAt, exitTime: closed.closedAt, reason: a.reason, net: closed.netPnl, entry: closed.avgEntry, exit: closed.avgExit });
          open = null;
        }
      }
    }
    trs.push(c.high - c.low);
    if (trs.length > 14) trs.shift();
    // A deterministic stand-in for signals: every 240th candle, alternating direction.
    if (!open && !pending && i % 240 === 239) {
      const dir: Direction = (i / 240) % 2 < 1 ? 'long' : 'short';
      const atr = trs.reduce((a, b) => a + b, 0) / trs.length;
      const t = computeTargets(dir, c.close, atr * 8, coin, P, 100);
      if (!t) continue;
      const size = positionSize({ equity: pf.equity, available: pf.available, entry: c.close, stop: t.stopLoss, leverage: t.leverage, riskPercent: 1, qtyStep: 0.001, minQty: 0.001, maxQty: 100, takerFee: P.taker_fee });
      if (size.qty === 0) continue;
      pending = { id: `T${c.ts}`, dir, tp: t.takeProfit, sl: t.stopLoss, tpd: t.tpDistance, lev: t.leverage,
        e: new HybridEntry({ direction: dir, signalPrice: c.close, qty: size.qty, tpDistance: t.tpDistance, placedAt: c.ts + M, params: P, costs: P }) };
    }
  }
  return { trades, portfolio: pf, stopMoves };
}

describe('rules on real BTC 1m candles', () => {
  const candles = readCandles('binance-spot/BTCUSDT-1m.csv.gz', 30_000);

  it('keeps the accounting identity, never overlaps trades, and uses every exit kind sensibly', () => {
    const { trades, portfolio, stopMoves } = simulate(candles);
    expect(trades.length).toBeGreaterThan(20);
    expect(stopMoves).toBeGreaterThan(0);
    expect(Math.abs(portfolio.accountingError())).toBeLessThan(1e-6);
    const net = trades.reduce((a, t) => a + t.net, 0) + portfolio.openPositions().reduce((a, p) => a + p.realized - p.fees - p.funding, 0);
    expect(net).toBeCloseTo(portfolio.equity - P.initial_equity, 6);
    for (let i = 1; i < trades.length; i++) expect(trades[i]!.entryTime).toBeGreaterThanOrEqual(trades[i - 1]!.exitTime);
    const reasons = new Set(trades.map((t) => t.reason));
    expect(reasons.has('stop_loss') || reasons.has('take_profit')).toBe(true);
    expect(portfolio.fundingPaid).not.toBe(0);
  });

  it('a shorter run gives the same trades for every trade that closed inside it (no lookahead)', () => {
    const long = simulate(candles).trades;
    const cut = candles[17_000]!.ts;
    const short = simulate(candles.slice(0, 17_000)).trades;
    const closedInside = long.filter((t) => t.exitTime <= cut);
    expect(closedInside.length).toBeGreaterThan(5);
    expect(short.slice(0, closedInside.length)).toEqual(closedInside);
  });
});
