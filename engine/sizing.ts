// Position size from the risk per trade (SPEC §3 "Position size").

export interface SizeInput {
  /** Account equity the risk % is taken of. */
  equity: number;
  /** Margin still free for a new position. */
  available: number;
  entry: number;
  stop: number;
  leverage: number;
  /** % of equity lost when the stop is hit (fees included). */
  riskPercent: number;
  /** Instrument quantity step; 0 = no step. */
  qtyStep: number;
  minQty: number;
  maxQty: number;
  /** Taker fee rate, charged on entry and on the stop exit. */
  takerFee: number;
}

export interface SizeResult {
  qty: number;
  /** Why qty is 0, or why it is smaller than the risk allows. */
  reason?: string;
}

/**
 * Quantity that loses `riskPercent` of equity between entry and stop, counting the round-trip
 * taker fees (entry fee at entry, exit fee at the stop) in the loss per unit, so the risk is the
 * real risk. Floored to `qtyStep` and capped at `maxQty`.
 * Margin needed = qty × entry / leverage + round-trip taker fees (what Bybit reserves as order
 * cost). When that exceeds `available`, the size shrinks to what the margin carries; qty is 0 with
 * a reason when the result is below `minQty`.
 */
export function positionSize(i: SizeInput): SizeResult {
  const bad = invalidInput(i);
  if (bad) return { qty: 0, reason: bad };
  const riskAmount = (i.equity * i.riskPercent) / 100;
  const lossPerUnit = Math.abs(i.entry - i.stop) + i.takerFee * (i.entry + i.stop);
  let qty = floorToStep(Math.min(riskAmount / lossPerUnit, i.maxQty), i.qtyStep);
  if (qty < i.minQty || qty <= 0) {
    return { qty: 0, reason: `risk size ${fmt(riskAmount / lossPerUnit)} is below the minimum quantity ${i.minQty}` };
  }
  const marginPerUnit = i.entry / i.leverage + 2 * i.takerFee * i.entry;
  if (qty * marginPerUnit <= i.available) return { qty };
  if (!(i.available > 0)) return { qty: 0, reason: `no available margin (${fmt(i.available)})` };
  qty = floorToStep(i.available / marginPerUnit, i.qtyStep);
  if (qty < i.minQty || qty <= 0) {
    return { qty: 0, reason: `available margin ${fmt(i.available)} carries ${fmt(i.available / marginPerUnit)}, below the minimum quantity ${i.minQty}` };
  }
  return { qty, reason: `size reduced to what the available margin ${fmt(i.available)} carries` };
}

function invalidInput(i: SizeInput): string | null {
  if (!(i.equity > 0)) return `equity must be > 0 (got ${i.equity})`;
  if (!(i.entry > 0)) return `entry price must be > 0 (got ${i.entry})`;
  if (!(i.stop > 0) || i.stop === i.entry) return `stop must be > 0 and differ from the entry (entry ${i.entry}, stop ${i.stop})`;
  if (!(i.leverage >= 1)) return `leverage must be ≥ 1 (got ${i.leverage})`;
  if (!(i.riskPercent > 0)) return `risk percent must be > 0 (got ${i.riskPercent})`;
  if (!(i.qtyStep >= 0)) return `quantity step must be ≥ 0 (got ${i.qtyStep})`;
  if (!(i.minQty >= 0) || !(i.maxQty > 0)) return `quantity limits must be min ≥ 0 and max > 0 (got ${i.minQty}, ${i.maxQty})`;
  if (!(i.takerFee >= 0)) return `taker fee must be ≥ 0 (got ${i.takerFee})`;
  return null;
}

/**
 * Floors `x` to a multiple of `step` in integer arithmetic on the step's decimal places, so
 * 0.3 with step 0.1 gives 0.3 (not 0.2 as floor(0.3 / 0.1) = floor(2.9999…) would). A tolerance
 * of a few ulps absorbs binary representation error of the input only.
 */
export function floorToStep(x: number, step: number): number {
  if (!(x > 0)) return 0;
  if (!(step > 0)) return x;
  const scale = 10 ** decimals(step);
  const stepUnits = Math.round(step * scale);
  const scaled = x * scale;
  // Snap to the nearest integer only when within a few ulps (binary representation error),
  // never by a whole unit, so the result cannot exceed x by more than that error.
  const nearest = Math.round(scaled);
  const units = Math.abs(scaled - nearest) <= 8 * Number.EPSILON * Math.max(1, scaled) ? nearest : Math.floor(scaled);
  return (Math.floor(units / stepUnits) * stepUnits) / scale;
}

/** Decimal places of a step such as 0.001, 1e-7 or 5. */
function decimals(step: number): number {
  const s = step.toString();
  const exp = /e-(\d+)$/.exec(s);
  if (exp) {
    const mantissa = s.slice(0, s.indexOf('e'));
    const dot = mantissa.indexOf('.');
    return Number(exp[1]) + (dot < 0 ? 0 : mantissa.length - dot - 1);
  }
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}
