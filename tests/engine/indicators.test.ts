import { describe, expect, it } from 'vitest';
import { ATR, EMA, RSI, SMA } from 'technicalindicators';
import { Atr, Ema, Rsi, Sma } from '../../engine/indicators/index.js';
import { readCandles } from './helpers/read-csv.js';

const FILES = ['binance-spot/BTCUSDT-1h.csv.gz', 'binance-spot/ETHUSDT-5m.csv.gz', 'binance-usdm/DOGEUSDT-1m.csv.gz'];

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

describe.each(FILES)('indicators agree with technicalindicators on %s', (file) => {
  const candles = readCandles(file, 5000);
  const close = candles.map((c) => c.close);
  const high = candles.map((c) => c.high);
  const low = candles.map((c) => c.low);
  const volume = candles.map((c) => c.volume);

  it('has real data', () => expect(candles.length).toBe(5000));

  it.each([9, 20, 50])('EMA(%i): NaN during warm-up, then within 1e-9 relative error', (period) => {
    const ref = EMA.calculate({ period, values: close });
    const ema = new Ema(period);
    const ours = close.map((x) => ema.update(x));
    expect(ours.slice(0, period - 1).every(Number.isNaN)).toBe(true);
    expect(ref.length).toBe(close.length - period + 1);
    for (let i = 0; i < ref.length; i++) expect(relErr(ours[i + period - 1], ref[i])).toBeLessThan(1e-9);
    expect(ema.ready).toBe(true);
    expect(ema.value).toBe(ours[ours.length - 1]);
  });

  it('ATR(14): first value at index 14 (first TR dropped), then within 1e-9 relative error', () => {
    const ref = ATR.calculate({ period: 14, high, low, close });
    const atr = new Atr(14);
    const ours = candles.map((c) => atr.update(c.high, c.low, c.close));
    expect(ours.slice(0, 14).every(Number.isNaN)).toBe(true);
    expect(Number.isNaN(ours[14])).toBe(false);
    expect(ref.length).toBe(candles.length - 14);
    for (let i = 0; i < ref.length; i++) expect(relErr(ours[i + 14], ref[i])).toBeLessThan(1e-9);
  });

  it('RSI(14): first value after 14 changes, equal at 2 decimals', () => {
    const ref = RSI.calculate({ period: 14, values: close });
    const rsi = new Rsi(14);
    const ours = close.map((x) => rsi.update(x));
    expect(ours.slice(0, 14).every(Number.isNaN)).toBe(true);
    expect(ref.length).toBe(close.length - 14);
    for (let i = 0; i < ref.length; i++) expect(Number(ours[i + 14].toFixed(2))).toBe(ref[i]);
  });

  it('volume SMA(20) within 1e-9 relative error', () => {
    const ref = SMA.calculate({ period: 20, values: volume });
    const sma = new Sma(20);
    const ours = volume.map((x) => sma.update(x));
    expect(ours.slice(0, 19).every(Number.isNaN)).toBe(true);
    for (let i = 0; i < ref.length; i++) {
      const e = ref[i] === 0 ? Math.abs(ours[i + 19]) : relErr(ours[i + 19], ref[i]);
      expect(e).toBeLessThan(1e-9);
    }
  });
});

describe('indicators on hand-built values', () => {
  it('EMA seeds with the SMA and then smooths with 2/(n+1)', () => {
    const e = new Ema(3);
    expect(e.update(1)).toBeNaN();
    expect(e.update(2)).toBeNaN();
    expect(e.ready).toBe(false);
    expect(e.update(6)).toBe(3);
    expect(e.ready).toBe(true);
    expect(e.update(7)).toBe(5); // 3 + (7-3)*0.5
  });

  it('ATR uses the true range across a gap from the previous close', () => {
    const a = new Atr(2);
    expect(a.update(10, 9, 9.5)).toBeNaN(); // no previous close: no TR
    expect(a.update(12, 11, 11.5)).toBeNaN(); // TR = 12 - 9.5 = 2.5
    expect(a.update(11.5, 11.5, 11.5)).toBe(1.25); // zero-range candle: TR = 0; mean(2.5, 0)
    expect(a.update(11, 8, 9)).toBeCloseTo(1.25 + (3.5 - 1.25) / 2, 12); // TR = 11.5 - 8
  });

  it('RSI is 100 with no losses and 0 with no gains', () => {
    const up = new Rsi(3);
    [1, 2, 3].forEach((x) => up.update(x));
    expect(up.ready).toBe(false);
    expect(up.update(4)).toBe(100);
    const down = new Rsi(3);
    [4, 3, 2, 1].forEach((x) => down.update(x));
    expect(down.value).toBe(0);
    const flat = new Rsi(2);
    [5, 5, 5].forEach((x) => flat.update(x));
    expect(flat.value).toBe(100); // matches technicalindicators: no loss → 100
  });

  it('SMA rolls over its window', () => {
    const s = new Sma(2);
    expect(s.update(1)).toBeNaN();
    expect(s.update(3)).toBe(2);
    expect(s.update(5)).toBe(4);
    expect(s.update(5)).toBe(5);
  });

  it('rejects a period that is not a positive integer, naming it', () => {
    expect(() => new Ema(0)).toThrow(/Ema period/);
    expect(() => new Rsi(2.5)).toThrow(/Rsi period/);
    expect(() => new Atr(-1)).toThrow(/Atr period/);
    expect(() => new Sma(NaN)).toThrow(/Sma period/);
  });
});
