import { describe, expect, it } from 'vitest';
import { Atr, Ema, Rsi, Sma } from '../../engine/indicators/index.js';
import { TimeframeState } from '../../engine/smc/timeframe-state.js';
import { readCandles } from './helpers/read-csv.js';
import { bars, hl, params, run } from './helpers/smc.js';

describe('TimeframeState', () => {
  const candles = readCandles('binance-spot/BTCUSDT-5m.csv.gz', 400);

  it('carries the indicators of its timeframe, NaN until ready', () => {
    const st = new TimeframeState('5m', params(), { structures: true, sweeps: true });
    const atr = new Atr(14), rsi = new Rsi(14), f = new Ema(20), s = new Ema(50), v = new Sma(20);
    expect(st.atr).toBeNaN();
    for (const [i, c] of candles.entries()) {
      st.update(c);
      expect(st.atr).toBe(atr.update(c.high, c.low, c.close));
      expect(st.rsi).toBe(rsi.update(c.close));
      expect(st.emaFast).toBe(f.update(c.close));
      expect(st.emaSlow).toBe(s.update(c.close));
      expect(st.volumeSma).toBe(v.update(c.volume));
      expect(st.bars).toBe(i + 1);
      expect(st.last).toBe(c);
    }
    expect(Number.isFinite(st.emaSlow)).toBe(true);
  });

  it('with structures and sweeps off it only keeps indicators', () => {
    const r = run(candles, {}, { structures: false, sweeps: false }, '5m');
    expect(r.out).toEqual([]);
    expect(r.state.structure).toBe('neutral');
    expect(r.state.lastSwingHigh).toBeNull();
    expect(r.state.liveOrderBlocks('bullish')).toEqual([]);
    expect(r.state.liveFvgs('bearish')).toEqual([]);
    expect(r.state.barsSinceSweep('bullish')).toBe(Infinity);
    expect(Number.isFinite(r.state.atr)).toBe(true);
  });

  it('emits no OB, FVG or structure event with sweeps only, and no sweep with structures only', () => {
    const types = (o: { structures: boolean; sweeps: boolean }) => new Set(run(candles, {}, o, '5m').out.map((e) => e.rec.type));
    expect([...types({ structures: false, sweeps: true })].sort()).toEqual(['sweep', 'swing']);
    expect([...types({ structures: true, sweeps: false })].sort()).toEqual(
      ['fvg', 'fvg_filled', 'ob_mitigated', 'order_block', 'structure', 'swing'],
    );
  });

  it('live zones are exactly the emitted zones not yet mitigated or filled', () => {
    const { state, out } = run(candles, {}, { structures: true, sweeps: false }, '5m');
    const deadOb = new Set(out.flatMap((e) => (e.rec.type === 'ob_mitigated' ? [e.rec.ref.ts + e.rec.ref.side] : [])));
    const obs = out.flatMap((e) => (e.rec.type === 'order_block' ? [e.rec.data] : []));
    for (const side of ['bullish', 'bearish'] as const) {
      const live = state.liveOrderBlocks(side);
      expect(live.map((o) => o.ts).sort()).toEqual(
        obs.filter((o) => o.side === side && !deadOb.has(o.ts + o.side)).map((o) => o.ts).sort(),
      );
      // Sorted by midpoint, the one nearest to mitigation last.
      const mids = live.map((o) => o.mid);
      expect(mids).toEqual([...mids].sort((a, b) => (side === 'bullish' ? a - b : b - a)));
      expect(state.liveOrderBlocks(side).every((o) => o.mitigatedAt === null)).toBe(true);
    }
    const fvgs = out.flatMap((e) => (e.rec.type === 'fvg' ? [e.rec.data] : []));
    const filled = out.filter((e) => e.rec.type === 'fvg_filled').length;
    expect(state.liveFvgs('bullish').length + state.liveFvgs('bearish').length).toBe(fvgs.length - filled);
  });

  it('refuses a candle that does not come after the previous one, naming both times', () => {
    const st = new TimeframeState('15m', params(), { structures: true, sweeps: true });
    const c = bars([hl(10, 9), hl(11, 10)]);
    st.update(c[1]);
    expect(() => st.update(c[0])).toThrow('15m candle at 2024-01-01T00:00:00.000Z does not come after the previous one at 2024-01-01T00:15:00.000Z');
    expect(() => st.update(c[1])).toThrow(/does not come after/);
    expect(() => st.update({ ...c[1], ts: NaN })).toThrow('15m candle at NaN does not come after the previous one at 2024-01-01T00:15:00.000Z');
    expect(st.bars).toBe(1);
  });

  it('rejects bad detector parameters with one line naming the key', () => {
    const make = (over: object) => () => new TimeframeState('1h', params(over), { structures: true, sweeps: true });
    expect(make({ swing_length: 0 })).toThrow('engine parameter swing_length = 0 is invalid for 1h: must be an integer ≥ 1');
    expect(make({ ob_lookback: 2.5 })).toThrow(/ob_lookback = 2.5/);
    expect(make({ fvg_min_size: -0.1 })).toThrow(/fvg_min_size = -0.1 .* ≥ 0/);
    expect(make({ ob_impulse_atr: NaN })).toThrow(/ob_impulse_atr = NaN/);
    expect(make({ atr_period: 0 })).toThrow(/Atr period/);
  });
});
