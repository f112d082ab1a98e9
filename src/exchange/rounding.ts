// Prices and quantities sent to an exchange must be exact multiples of the instrument's tick and
// step, written as plain decimal strings ("0.001", never "1e-3" or "0.30000000000000004").
// Arithmetic is done on integers scaled by the step's decimals, so float noise cannot leak out.

/** Number of decimals in a step such as 0.001 (3), 0.5 (1), 10 (0), 1e-8 (8). */
export function decimalsOf(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) throw new Error(`step must be a positive number, got ${step}`);
  for (let d = 0; d <= 12; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9 * Math.max(1, scaled)) return d;
  }
  return 12;
}

export type RoundMode = 'nearest' | 'floor' | 'ceil';

/** `value` rounded to a multiple of `step`, as an exact decimal string without trailing zeros. */
export function roundToStep(value: number, step: number, mode: RoundMode): string {
  if (!Number.isFinite(value)) throw new Error(`value must be a finite number, got ${value}`);
  const d = decimalsOf(step);
  const scale = 10 ** d;
  const stepUnits = Math.round(step * scale);
  // How many steps `value` is; a tiny tolerance so 0.3/0.1 = 2.9999999999999996 still floors to 3.
  const steps = (value * scale) / stepUnits;
  const eps = 1e-9;
  const n = mode === 'floor' ? Math.floor(steps + eps) : mode === 'ceil' ? Math.ceil(steps - eps) : Math.round(steps);
  return formatScaled(BigInt(n) * BigInt(stepUnits), d);
}

/** Limit/stop price to the nearest tick (or floor/ceil when the side matters). */
export function priceToTick(price: number, tickSize: number, mode: RoundMode = 'nearest'): string {
  if (!(price > 0)) throw new Error(`price must be positive, got ${price}`);
  return roundToStep(price, tickSize, mode);
}

/** Order quantity floored to the step: never risk more than asked for. */
export function qtyToStep(qty: number, qtyStep: number): string {
  if (!(qty >= 0)) throw new Error(`qty must be non-negative, got ${qty}`);
  return roundToStep(qty, qtyStep, 'floor');
}

/** Any number as a plain decimal string without exponent (for values already on the grid). */
export function toDecimalString(value: number, maxDecimals = 12): string {
  if (!Number.isFinite(value)) throw new Error(`value must be a finite number, got ${value}`);
  const fixed = value.toFixed(maxDecimals);
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

function formatScaled(units: bigint, decimals: number): string {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  let s = abs.toString();
  if (decimals > 0) {
    s = s.padStart(decimals + 1, '0');
    s = `${s.slice(0, -decimals)}.${s.slice(-decimals)}`.replace(/0+$/, '').replace(/\.$/, '');
  }
  return (neg && abs !== 0n ? '-' : '') + s;
}
