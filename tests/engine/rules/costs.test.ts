// The cost helpers the simulated broker charges with: fees, adverse slippage, funding payments.
// (How fills use them, candle by candle, is in sim-broker.test.ts.)
import { describe, expect, it } from 'vitest';
import { feeOf, FUNDING_INTERVAL_MS, fundingPayment, isBuy, slipped, type CostRates } from '../../../engine/costs.js';

const H = 3_600_000;
const costs: CostRates = { maker_fee: 0.0002, taker_fee: 0.00055, slippage: 0.0002, funding_rate: 0.0001 };

describe('fees and slippage', () => {
  it('adverse slippage: buyers pay more, sellers get less; none at 0', () => {
    expect(slipped(100, true, 0.0002)).toBeCloseTo(100.02, 12);
    expect(slipped(100, false, 0.0002)).toBeCloseTo(99.98, 12);
    expect(slipped(100, true, 0)).toBe(100);
  });

  it('a long entry and a short exit buy; a short entry and a long exit sell', () => {
    expect([isBuy('long', true), isBuy('short', false), isBuy('short', true), isBuy('long', false)]).toEqual([true, true, false, false]);
  });

  it('maker fee on limit fills, taker fee otherwise, on the notional', () => {
    expect(feeOf(2, 50, true, costs)).toBeCloseTo(0.02, 12);
    expect(feeOf(2, 50, false, costs)).toBeCloseTo(0.055, 12);
  });
});

describe('funding', () => {
  it('every 8 h; longs pay and shorts receive a positive rate', () => {
    expect(FUNDING_INTERVAL_MS).toBe(8 * H);
    expect(fundingPayment('long', 2, 100, 0.0001)).toBeCloseTo(0.02, 12);
    expect(fundingPayment('short', 2, 100, 0.0001)).toBeCloseTo(-0.02, 12);
    expect(fundingPayment('long', 2, 100, -0.0001)).toBeCloseTo(-0.02, 12);
  });
});
