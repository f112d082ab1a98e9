// The exchange's instrument limits reach the session's decisions also when they are learned after
// the session was built (the live runtime reads them from Bybit at start-up): signals never ask for
// more leverage than the exchange allows, and entries are sized to its qty step.
import { describe, expect, it } from 'vitest';
import { TradingSession, type InstrumentSpec, type SessionEvent } from '../../../engine/session.js';
import { DEFAULT_PARAMS, coinConfig } from '../../../engine/params.js';
import type { Signal } from '../../../engine/types.js';
import { loadCandleFile } from '../../../src/data/load.js';
import { ohlcv } from '../../data/paths.js';

describe('session with instruments learned after it started', () => {
  it('caps signal leverage at the exchange maximum and sizes entries to the qty step', () => {
    const instruments: Record<string, InstrumentSpec> = {};
    const session = new TradingSession({
      params: { ...DEFAULT_PARAMS, signal_log_min_score: 70 }, coins: { BTCUSDT: { ...coinConfig('BTCUSDT'), min_confidence: 70 } },
      symbols: ['BTCUSDT'], baseTf: '1m', autoExecute: false, maxDailyLossPercent: 0, mlMinConfidence: 0, instruments,
    });
    const s = loadCandleFile(ohlcv('binance-spot/BTCUSDT-1m.csv.gz'), { from: Date.parse('2021-04-02T00:00:00Z'), to: Date.parse('2021-04-16T00:00:00Z') });
    const signals: Signal[] = [];
    for (let i = 0; i < s.length; i++) {
      // Known only after the session began, as when the runtime loads them in start().
      if (i === 10) instruments.BTCUSDT = { qtyStep: 0.001, minQty: 0.001, maxQty: 100, tickSize: 0.1, maxLeverage: 3 };
      session.onCandle('BTCUSDT', { ts: s.ts[i], open: s.open[i], high: s.high[i], low: s.low[i], close: s.close[i], volume: s.volume[i] });
      const out = session.endStep(s.ts[i] + 60_000);
      for (const e of out.events as SessionEvent[]) if (e.type === 'signal') signals.push(e.signal);
    }
    expect(signals.length).toBeGreaterThan(3);
    for (const sig of signals) {
      expect(sig.targets.leverage).toBeLessThanOrEqual(3);
      const { size } = session.entryPlan(sig);
      expect(size.qty).toBeGreaterThan(0);
      expect(Math.abs(size.qty * 1000 - Math.round(size.qty * 1000))).toBeLessThan(1e-6);
    }
  });
});
