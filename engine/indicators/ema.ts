// Exponential moving average, seeded with the SMA of the first `period` values (as the
// `technicalindicators` package does, with the same arithmetic so results match it).
export class Ema {
  readonly period: number;
  value = NaN;
  private readonly k: number;
  private count = 0;
  private seedSum = 0;

  constructor(period: number) {
    if (!Number.isInteger(period) || period < 1) throw new Error(`Ema period must be an integer ≥ 1, got ${period}`);
    this.period = period;
    this.k = 2 / (period + 1);
  }

  get ready(): boolean {
    return this.count >= this.period;
  }

  update(x: number): number {
    if (this.count >= this.period) {
      this.value = (x - this.value) * this.k + this.value;
      return this.value;
    }
    this.seedSum += x;
    this.count++;
    if (this.count === this.period) this.value = this.seedSum / this.period;
    return this.value;
  }
}
