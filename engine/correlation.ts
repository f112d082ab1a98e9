// Correlation of hourly returns between symbols, for the selection filter (SPEC §3 "Signal selection").

/**
 * Pearson correlation of two equally long return series (two-pass, numerically stable).
 * NaN when fewer than 2 pairs, the lengths differ, or either series is constant (undefined).
 */
export function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  if (n !== b.length || n < 2) return NaN;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  const r = sab / Math.sqrt(saa * sbb);
  return Math.max(-1, Math.min(1, r));
}

/**
 * The last `capacity` returns of one symbol in a ring buffer (O(1) per push). Returns may carry
 * the close time of their bar; when both windows have times, correlation pairs equal times only,
 * so a symbol with a data gap is not compared with shifted bars. Without times, the tails align.
 */
export class ReturnsWindow {
  private readonly values: Float64Array;
  private readonly times: Float64Array;
  private start = 0;
  private count = 0;

  /**
   * @param capacity returns kept (correlation_bars)
   * @param minSamples pairs needed before a correlation is defined (default: half the window, so
   *   a few hours missing on one symbol do not switch the filter off, while 3 early bars cannot
   *   declare two coins correlated)
   */
  constructor(readonly capacity: number, readonly minSamples: number = Math.ceil(capacity / 2)) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new Error(`correlation window must be an integer ≥ 2 (got ${capacity})`);
    this.values = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Adds one return (e.g. close / previous close − 1); non-finite returns are ignored. */
  push(ret: number, time = NaN): void {
    if (!Number.isFinite(ret)) return;
    const i = (this.start + this.count) % this.capacity;
    this.values[i] = ret;
    this.times[i] = time;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** Returns oldest first. */
  toArray(): Float64Array {
    const out = new Float64Array(this.count);
    for (let k = 0; k < this.count; k++) out[k] = this.values[(this.start + k) % this.capacity]!;
    return out;
  }

  timesArray(): Float64Array {
    const out = new Float64Array(this.count);
    for (let k = 0; k < this.count; k++) out[k] = this.times[(this.start + k) % this.capacity]!;
    return out;
  }

  /** Pearson correlation with another window; NaN until `minSamples` pairs exist. */
  correlation(other: ReturnsWindow): number {
    const [a, b] = this.pairs(other);
    if (a.length < Math.max(2, this.minSamples, other.minSamples)) return NaN;
    return pearson(a, b);
  }

  private pairs(other: ReturnsWindow): [Float64Array, Float64Array] {
    const va = this.toArray();
    const vb = other.toArray();
    const ta = this.timesArray();
    const tb = other.timesArray();
    const timed = ta.every(Number.isFinite) && tb.every(Number.isFinite);
    if (!timed) {
      const n = Math.min(va.length, vb.length);
      return [va.subarray(va.length - n), vb.subarray(vb.length - n)];
    }
    const outA: number[] = [];
    const outB: number[] = [];
    let i = 0;
    let j = 0;
    while (i < ta.length && j < tb.length) {
      if (ta[i] === tb[j]) {
        outA.push(va[i]!);
        outB.push(vb[j]!);
        i++;
        j++;
      } else if (ta[i]! < tb[j]!) i++;
      else j++;
    }
    return [Float64Array.from(outA), Float64Array.from(outB)];
  }
}
