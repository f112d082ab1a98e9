import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { floorToStep, positionSize, type SizeInput } from '../../../engine/sizing.js';

const base: SizeInput = {
  equity: 10_000, available: 10_000, entry: 100, stop: 99, leverage: 10, riskPercent: 1,
  qtyStep: 0.001, minQty: 0.001, maxQty: 1e6, takerFee: 0,
};

describe('floorToStep', () => {
  it('floors with integer step arithmetic (no 0.1+0.2 surprises)', () => {
    expect(floorToStep(0.3, 0.1)).toBe(0.3); // 0.3/0.1 = 2.9999999999999996 in floats
    expect(floorToStep(0.1 + 0.2, 0.1)).toBe(0.3);
    expect(floorToStep(0.7, 0.1)).toBe(0.7);
    expect(floorToStep(1.15, 0.05)).toBe(1.15);
    expect(floorToStep(0.299, 0.1)).toBe(0.2);
    expect(floorToStep(123.456789, 0.001)).toBe(123.456);
    expect(floorToStep(17, 5)).toBe(15);
    expect(floorToStep(0.00000035, 1e-7)).toBe(0.0000003);
    expect(floorToStep(2.5, 0)).toBe(2.5);
    expect(floorToStep(-1, 0.1)).toBe(0);
  });

  it('property: result is a multiple of the step, ≤ x (up to 1e-9 relative) and within one step', () => {
    fc.assert(fc.property(
      fc.double({ min: 1e-3, max: 1e6, noNaN: true }), fc.constantFrom(0.001, 0.01, 0.1, 1, 0.5, 0.05, 10),
      (x, step) => {
        const q = floorToStep(x, step);
        expect(q).toBeLessThanOrEqual(x * (1 + 1e-9));
        expect(x - q).toBeLessThan(step * (1 + 1e-9));
        const units = q / step;
        expect(Math.abs(units - Math.round(units))).toBeLessThan(1e-6);
      },
    ));
  });
});

describe('positionSize', () => {
  it('risks the given % of equity between entry and stop', () => {
    // 1 % of 10 000 = 100 over a 1.00 stop distance → 100 units
    expect(positionSize({ ...base, available: 1e6 })).toEqual({ qty: 100 });
    // short mirrors
    expect(positionSize({ ...base, available: 1e6, stop: 101 })).toEqual({ qty: 100 });
  });

  it('counts the round-trip taker fees in the loss per unit', () => {
    const r = positionSize({ ...base, available: 1e6, takerFee: 0.0005 });
    // loss/unit = 1 + 0.0005 × (100 + 99) = 1.0995 → 90.95...
    expect(r.qty).toBe(90.95);
    const loss = r.qty * (1 + 0.0005 * 199);
    expect(loss).toBeLessThanOrEqual(100);
  });

  it('floors to the step with decimal-exact steps', () => {
    // 1 % of 30 = 0.3 over 1.0 → 0.3 exactly on a 0.1 step (naive floor gives 0.2)
    expect(positionSize({ ...base, equity: 30, available: 1e6, qtyStep: 0.1, minQty: 0.1 }).qty).toBe(0.3);
  });

  it('returns 0 with a reason below the minimum quantity', () => {
    const r = positionSize({ ...base, equity: 10, minQty: 1 });
    expect(r.qty).toBe(0);
    expect(r.reason).toMatch(/below the minimum quantity 1/);
  });

  it('caps at maxQty', () => {
    expect(positionSize({ ...base, available: 1e9, maxQty: 42 }).qty).toBe(42);
  });

  it('shrinks to what the margin carries, including fees', () => {
    // full size 100 needs 100×100/10 = 1000 margin; only 500 free → 50 units (no fees)
    const r = positionSize({ ...base, available: 500 });
    expect(r.qty).toBe(50);
    expect(r.reason).toMatch(/reduced/);
    // with fees: per unit 10 + 2×0.001×100 = 10.2 → 500/10.2 = 49.0196 → 49.019
    expect(positionSize({ ...base, available: 500, takerFee: 0.001 }).qty).toBe(49.019);
  });

  it('returns 0 when the margin cannot carry the minimum quantity', () => {
    const r = positionSize({ ...base, available: 5, minQty: 1 });
    expect(r.qty).toBe(0);
    expect(r.reason).toMatch(/available margin 5 carries 0.5, below the minimum quantity 1/);
    expect(positionSize({ ...base, available: 0 }).reason).toMatch(/no available margin/);
  });

  it('names the bad input', () => {
    expect(positionSize({ ...base, stop: 100 }).reason).toMatch(/stop must be > 0 and differ from the entry/);
    expect(positionSize({ ...base, leverage: 0 }).reason).toMatch(/leverage must be ≥ 1/);
    expect(positionSize({ ...base, entry: NaN }).reason).toMatch(/entry price must be > 0/);
  });

  it('property: loss at the stop incl. fees ≤ risk, margin ≤ available, qty on the step', () => {
    fc.assert(fc.property(
      fc.double({ min: 100, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }),
      fc.double({ min: 1, max: 1e5, noNaN: true }), fc.double({ min: 0.001, max: 0.2, noNaN: true }),
      fc.boolean(), fc.integer({ min: 1, max: 50 }), fc.constantFrom(0.001, 0.01, 0.1, 1),
      (equity, available, entry, stopFrac, long, leverage, step) => {
        const stop = long ? entry * (1 - stopFrac) : entry * (1 + stopFrac);
        const i = { ...base, equity, available, entry, stop, leverage, qtyStep: step, minQty: step, takerFee: 0.00055 };
        const { qty } = positionSize(i);
        if (qty === 0) return;
        const loss = qty * (Math.abs(entry - stop) + i.takerFee * (entry + stop));
        expect(loss).toBeLessThanOrEqual(equity * 0.01 * (1 + 1e-8));
        expect(qty * (entry / leverage + 2 * i.takerFee * entry)).toBeLessThanOrEqual(available * (1 + 1e-8));
        expect(qty).toBeGreaterThanOrEqual(step);
      },
    ));
  });
});
