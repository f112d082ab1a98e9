// The coin universe's pure parts: which coins the tickers answer selects, and when the daily refresh runs.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { msUntilNextUtc, selectUniverse } from '../../src/runtime/universe.js';
import type { Ticker } from '../../src/exchange/port.js';
import { defaultCoinConfig } from '../../engine/params.js';

const t = (symbol: string, turnover24h: number, lastPrice = 1): Ticker => ({ symbol, lastPrice, bid: lastPrice, ask: lastPrice, turnover24h, fundingRate: 0 });

describe('selectUniverse', () => {
  const market = [
    t('XRPUSDT', 900e6), t('BTCUSDT', 5_000e6), t('ETHUSDT', 3_000e6), t('PEPEUSDT', 400e6), t('SUIUSDT', 600e6),
    t('LOWUSDT', 2e6), t('1000BONKUSDT', 500e6),
  ];

  it('configured coins first, then the top N by 24h turnover, without duplicates', () => {
    expect(selectUniverse(['BTCUSDT', 'DOGEUSDT'], market, 3, 10e6)).toEqual(['BTCUSDT', 'DOGEUSDT', 'ETHUSDT', 'XRPUSDT']);
    expect(selectUniverse(['DOGEUSDT'], market, 4, 10e6)).toEqual(['DOGEUSDT', 'BTCUSDT', 'ETHUSDT', 'XRPUSDT', 'SUIUSDT']);
  });

  it('N = 0 is the configured coins alone; a configured coin stays even when it trades little or is missing', () => {
    expect(selectUniverse(['LOWUSDT', 'NOPEUSDT'], market, 0, 10e6)).toEqual(['LOWUSDT', 'NOPEUSDT']);
    expect(selectUniverse(['LOWUSDT'], market, 2, 10e6)).toEqual(['LOWUSDT', 'BTCUSDT', 'ETHUSDT']);
  });

  it('min_volume_usd filters, per coin when given a function', () => {
    expect(selectUniverse([], market, 10, 550e6)).toEqual(['BTCUSDT', 'ETHUSDT', 'XRPUSDT', 'SUIUSDT']);
    const min = (s: string) => (s === 'XRPUSDT' ? 1e12 : defaultCoinConfig(s).min_volume_usd);
    expect(selectUniverse([], market, 10, min)).toEqual(['BTCUSDT', 'ETHUSDT', 'SUIUSDT', '1000BONKUSDT', 'PEPEUSDT']);
  });

  it('leaves out what is not a tradable USDT perpetual: USDC perps, dated futures, other quotes, no price, not Trading', () => {
    const odd = [
      t('BTCPERP', 9e12), t('BTCUSDT-26DEC25', 9e12), t('BTC-26DEC25', 9e12), t('ETHUSDC', 9e12), t('btcusdt', 9e12),
      t('DEADUSDT', 9e12, 0), t('NEWUSDT', 9e12), t('NANUSDT', Number.NaN), t('SOLUSDT', 100e6),
    ];
    const tradable = new Set(['BTCPERP', 'BTCUSDT-26DEC25', 'BTC-26DEC25', 'ETHUSDC', 'btcusdt', 'DEADUSDT', 'NANUSDT', 'SOLUSDT']);
    expect(selectUniverse([], odd, 5, 10e6, tradable)).toEqual(['SOLUSDT']);
    // Without the instrument list the pre-launch coin NEWUSDT cannot be told apart.
    expect(selectUniverse([], odd, 5, 10e6)).toEqual(['NEWUSDT', 'SOLUSDT']);
  });

  it('equal turnover is ordered by symbol; a repeated ticker counts once', () => {
    expect(selectUniverse([], [t('BBBUSDT', 50e6), t('AAAUSDT', 50e6), t('AAAUSDT', 1e9)], 5, 0)).toEqual(['AAAUSDT', 'BBBUSDT']);
  });

  it('property: configured kept in order, no duplicates, at most N extras, each eligible, the top N of the market all in', () => {
    const sym = fc.constantFrom('BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'ADAUSDT', 'BTCPERP', 'ETH-26DEC25', 'DOGEUSDT');
    const ticker = fc.record({ symbol: sym, turnover24h: fc.double({ min: 0, max: 1e10, noNaN: true }), lastPrice: fc.constantFrom(0, 1, 50) })
      .map((x) => t(x.symbol, x.turnover24h, x.lastPrice));
    fc.assert(fc.property(fc.uniqueArray(sym), fc.array(ticker, { maxLength: 20 }), fc.nat(6), fc.double({ min: 0, max: 1e10, noNaN: true }), (configured, tickers, n, min) => {
      const out = selectUniverse(configured, tickers, n, min);
      expect(out.slice(0, configured.length)).toEqual(configured);
      expect(new Set(out).size).toBe(out.length);
      const firstOf = (s: string) => tickers.find((x) => x.symbol === s)!;
      const extras = out.slice(configured.length);
      expect(extras.length).toBeLessThanOrEqual(n);
      for (const s of extras) {
        const x = firstOf(s);
        expect(s).toMatch(/^[A-Z0-9]+USDT$/);
        expect(x.lastPrice).toBeGreaterThan(0);
        expect(x.turnover24h).toBeGreaterThanOrEqual(min);
      }
      // The top N of the market by turnover (ties at the N-th place aside) are all in, and nothing below it.
      const eligible = [...new Set(tickers.map((x) => x.symbol))].map(firstOf)
        .filter((x) => /^[A-Z0-9]+USDT$/.test(x.symbol) && x.lastPrice > 0 && x.turnover24h >= min);
      const ranked = eligible.map((x) => x.turnover24h).sort((a, b) => b - a);
      if (n === 0 || !ranked.length) { expect(extras).toEqual([]); return; }
      const nth = ranked[Math.min(n, ranked.length) - 1];
      for (const x of eligible) if (x.turnover24h > nth) expect(out).toContain(x.symbol);
      for (const s of extras) expect(firstOf(s).turnover24h).toBeGreaterThanOrEqual(nth);
      if (n >= eligible.length) for (const x of eligible) expect(out).toContain(x.symbol);
    }));
  });
});

describe('msUntilNextUtc', () => {
  const at = (iso: string) => Date.parse(iso);
  it('is the time to the next 00:05 UTC, never zero', () => {
    expect(msUntilNextUtc(at('2026-03-01T00:00:00Z'))).toBe(5 * 60_000);
    expect(msUntilNextUtc(at('2026-03-01T00:05:00Z'))).toBe(86_400_000);
    expect(msUntilNextUtc(at('2026-03-01T00:05:00.001Z'))).toBe(86_400_000 - 1);
    expect(msUntilNextUtc(at('2026-03-01T23:59:00Z'))).toBe(6 * 60_000);
    expect(msUntilNextUtc(at('2026-03-01T12:00:00Z'), 13, 30)).toBe(90 * 60_000);
  });
});
