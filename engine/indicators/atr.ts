// Average true range with Wilder smoothing. Like `technicalindicators`, the first candle has no
// previous close and gives no true range; the first ATR is the mean of TR[1..period] (so it
// appears at the (period+1)-th candle), then ATR = ATR + (TR - ATR) / period.
export class Atr {
  readonly period: number;
  value = NaN;
  private readonly k: number;
  private prevClose = NaN;
  private count = 0;
  private seedSum = 0;

  constructor(period = 14) {
    if (!Number.isInteger(period) || period < 1) throw new Error(`Atr period must be an integer ≥ 1, got ${period}`);
    this.period = period;
    this.k = 1 / period;
  }

  get ready(): boolean {
    return this.count >= this.period;
  }

  update(high: number, low: number, close: number): number {
    const pc = this.prevClose;
    this.prevClose = close;
    if (pc !== pc) return this.value;
    let tr = high - low;
    const up = Math.abs(high - pc);
    const down = Math.abs(low - pc);
    if (up > tr) tr = up;
    if (down > tr) tr = down;
    if (this.count >= this.period) {
      this.value = (tr - this.value) * this.k + this.value;
      return this.value;
    }
    this.seedSum += tr;
    this.count++;
    if (this.count === this.period) this.value = this.seedSum / this.period;
    return this.value;
  }
}
