// Relative strength index with Wilder smoothing. The averages are seeded with the plain mean of
// the first `period` close-to-close changes, so the first value appears at the (period+1)-th close,
// exactly as `technicalindicators` computes it (that package rounds to 2 decimals; we do not).
export class Rsi {
  readonly period: number;
  value = NaN;
  private prevClose = NaN;
  private changes = 0;
  private avgGain = 0;
  private avgLoss = 0;

  constructor(period = 14) {
    if (!Number.isInteger(period) || period < 1) throw new Error(`Rsi period must be an integer ≥ 1, got ${period}`);
    this.period = period;
  }

  get ready(): boolean {
    return this.changes >= this.period;
  }

  update(close: number): number {
    const prev = this.prevClose;
    this.prevClose = close;
    if (prev !== prev) return this.value; // first close: no change yet
    const d = close - prev;
    const gain = d > 0 ? d : 0;
    const loss = d < 0 ? -d : 0;
    const p = this.period;
    if (this.changes < p) {
      this.avgGain += gain;
      this.avgLoss += loss;
      this.changes++;
      if (this.changes < p) return this.value;
      this.avgGain /= p;
      this.avgLoss /= p;
    } else {
      this.avgGain = (this.avgGain * (p - 1) + gain) / p;
      this.avgLoss = (this.avgLoss * (p - 1) + loss) / p;
    }
    if (this.avgLoss === 0) this.value = 100;
    else if (this.avgGain === 0) this.value = 0;
    else this.value = 100 - 100 / (1 + this.avgGain / this.avgLoss);
    return this.value;
  }
}
