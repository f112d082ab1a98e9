// Simple moving average over a ring of the last `period` values, O(1) per update.
// The running sum is rebuilt from the ring once per full turn so float drift cannot accumulate
// over millions of candles (amortised O(1)).
export class Sma {
  readonly period: number;
  value = NaN;
  private readonly ring: Float64Array;
  private idx = 0;
  private count = 0;
  private sum = 0;

  constructor(period: number) {
    if (!Number.isInteger(period) || period < 1) throw new Error(`Sma period must be an integer ≥ 1, got ${period}`);
    this.period = period;
    this.ring = new Float64Array(period);
  }

  get ready(): boolean {
    return this.count >= this.period;
  }

  update(x: number): number {
    const p = this.period;
    if (this.count < p) {
      this.ring[this.idx] = x;
      this.sum += x;
      this.count++;
    } else {
      this.sum += x - this.ring[this.idx];
      this.ring[this.idx] = x;
    }
    this.idx++;
    if (this.idx === p) {
      this.idx = 0;
      if (this.count >= p) {
        let s = 0;
        for (let i = 0; i < p; i++) s += this.ring[i];
        this.sum = s;
      }
    }
    if (this.count >= p) this.value = this.sum / p;
    return this.value;
  }
}
