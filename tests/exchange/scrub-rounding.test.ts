import fc from 'fast-check';
import pino from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decimalsOf, priceToTick, qtyToStep, roundToStep } from '../../src/exchange/rounding.js';
import { scrubError, scrubText } from '../../src/exchange/scrub.js';
import { newOrderLinkId } from '../../src/exchange/order-link-id.js';
import { FAKE_KEY, FAKE_SECRET } from '../fakes/bybit/server.js';
import { fakeAndAdapter } from './helpers.js';

describe('scrub', () => {
  it('removes key, secret and signatures from text', () => {
    const t = scrubText(`GET /v5/x api_key=${FAKE_KEY}&sign=ab12cd34 "x-bapi-sign":"deadbeef" {"op":"auth","args":["${FAKE_KEY}",1,"f00d"]} ${FAKE_SECRET}`, [FAKE_KEY, FAKE_SECRET]);
    expect(t).not.toContain(FAKE_KEY);
    expect(t).not.toContain(FAKE_SECRET);
    expect(t).not.toMatch(/ab12cd34|deadbeef|f00d/);
    expect(t).toContain('GET /v5/x');
  });

  it('reduces a bybit-api HTTP error (which carries the client options) to safe fields', () => {
    const sdkError = { code: 502, message: 'Bad Gateway', body: '<html>', headers: {}, requestOptions: { key: FAKE_KEY, secret: FAKE_SECRET } };
    const s = scrubError(sdkError, [FAKE_KEY, FAKE_SECRET]);
    expect(s).toEqual({ message: 'Bad Gateway', status: 502 });
    expect(JSON.stringify(s)).not.toContain(FAKE_SECRET);
    expect(scrubError({ retCode: 10004, retMsg: `error sign! ${FAKE_SECRET}` }, [FAKE_SECRET]).retMsg).toBe('error sign! [redacted]');
  });

  it('T45 an HTTP 500 from the exchange leaves no key, secret or signature in the logs', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } }));
    const { fake, ex, close } = await fakeAndAdapter({ logger, readAttempts: 2 });
    try {
      fake.faults.rest('/v5/account/wallet-balance', { kind: 'status', status: 500 }, 2);
      const err = await ex.balance().catch((e) => e);
      expect(err).toMatchObject({ outcome: 'unknown', retCode: -1500 });
      fake.faults.rest('/v5/order/create', { kind: 'status', status: 500 });
      await ex.placeOrder({ orderLinkId: 'l-1', symbol: 'BTCUSDT', side: 'Buy', type: 'market', qty: 0.001 }).catch(() => undefined);
      const all = lines.join('\n') + JSON.stringify(err) + String(err.message);
      expect(lines.length).toBeGreaterThan(0);
      expect(all).not.toContain(FAKE_KEY);
      expect(all).not.toContain(FAKE_SECRET);
      expect(all).not.toMatch(/x-bapi-sign/i);
    } finally {
      await close();
    }
  });
});

describe('rounding to the instrument grid', () => {
  it('gives exact decimal strings', () => {
    expect(decimalsOf(0.001)).toBe(3);
    expect(decimalsOf(0.5)).toBe(1);
    expect(decimalsOf(10)).toBe(0);
    expect(priceToTick(65432.17, 0.1)).toBe('65432.2');
    expect(priceToTick(0.0712345, 0.00001, 'floor')).toBe('0.07123');
    expect(priceToTick(0.0712345, 0.00001, 'ceil')).toBe('0.07124');
    expect(qtyToStep(0.3, 0.1)).toBe('0.3'); // 0.3/0.1 = 2.9999999999999996 in floats
    expect(qtyToStep(1.23456, 0.001)).toBe('1.234');
    expect(qtyToStep(0.0009, 0.001)).toBe('0');
    expect(roundToStep(12345, 10, 'ceil')).toBe('12350');
    expect(() => qtyToStep(-1, 0.1)).toThrow(/qty/);
    expect(() => priceToTick(1, 0)).toThrow(/step/);
  });

  it('floored qty is a multiple of the step, never above the input, and less than one step below', () => {
    const steps = [0.001, 0.01, 0.1, 1, 5, 0.00001];
    fc.assert(fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constantFrom(...steps), (q, step) => {
      const s = qtyToStep(q, step);
      expect(s).toMatch(/^\d+(\.\d+)?$/);
      const v = Number(s);
      // within float noise of a grid point counts as on it (relative 1e-15 of the value)
      expect(v).toBeLessThanOrEqual(q + step * 1e-9 + q * 1e-15);
      expect(q - v).toBeLessThan(step * (1 + 1e-9));
      // exactly on the grid, checked in integers: s × 10^d is a multiple of step × 10^d
      const d = decimalsOf(step);
      const [int, frac = ''] = s.split('.');
      expect(frac.length).toBeLessThanOrEqual(d);
      const scaled = BigInt(int + frac.padEnd(d, '0'));
      expect(scaled % BigInt(Math.round(step * 10 ** d))).toBe(0n);
    }));
  });

  it('nearest price is within half a tick', () => {
    fc.assert(fc.property(fc.double({ min: 1e-4, max: 2e5, noNaN: true }), fc.constantFrom(0.1, 0.01, 0.0001, 0.5), (p, tick) => {
      const v = Number(priceToTick(p, tick));
      expect(Math.abs(v - p)).toBeLessThanOrEqual(tick / 2 + tick * 1e-9);
    }));
  });
});

describe('orderLinkId', () => {
  it('is ≤ 36 chars of [A-Za-z0-9-], carries prefix and purpose, and rejects a bad prefix', () => {
    const id = newOrderLinkId('smc', 'entry', '123e4567-e89b-12d3-a456-426614174000');
    expect(id).toBe('smce-123e4567e89b12d3a45642661417');
    const random = newOrderLinkId('abcdef', 'stop');
    expect(random.length).toBeLessThanOrEqual(36);
    expect(random).toMatch(/^abcdefs-[0-9a-f]{28}$/);
    expect(newOrderLinkId('abcdef', 'stop')).not.toBe(random);
    expect(() => newOrderLinkId('smc_ultra', 'exit')).toThrow(/prefix/);
  });
});
