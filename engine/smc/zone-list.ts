// Live zones of one side, oldest first. Keeps the extreme trigger price over the live zones so the
// common case — no zone reached by this candle — costs one comparison; dead zones are dropped at once.
export class ZoneList<Z> {
  readonly items: Z[] = [];
  /** Highest trigger (zones killed from above) or lowest trigger (killed from below) among live zones. */
  private bound: number;

  /**
   * @param trigger the zone's kill price
   * @param fromAbove true when a price falling to the trigger kills the zone (bullish zones)
   * @param inclusive true when touching the trigger kills; false when price must pass it
   */
  constructor(
    private readonly trigger: (z: Z) => number,
    private readonly fromAbove: boolean,
    private readonly inclusive: boolean,
  ) {
    this.bound = fromAbove ? -Infinity : Infinity;
  }

  add(z: Z): void {
    this.items.push(z);
    const t = this.trigger(z);
    if (this.fromAbove ? t > this.bound : t < this.bound) this.bound = t;
  }

  private kills(price: number, t: number): boolean {
    if (this.fromAbove) return this.inclusive ? price <= t : price < t;
    return this.inclusive ? price >= t : price > t;
  }

  /** Moves every zone that `price` kills into `out` (oldest first), keeping the others in order. */
  removeReached(price: number, out: Z[]): void {
    if (!this.kills(price, this.bound)) return;
    const items = this.items;
    let w = 0;
    let bound = this.fromAbove ? -Infinity : Infinity;
    for (let r = 0; r < items.length; r++) {
      const z = items[r];
      const t = this.trigger(z);
      if (this.kills(price, t)) {
        out.push(z);
        continue;
      }
      items[w++] = z;
      if (this.fromAbove ? t > bound : t < bound) bound = t;
    }
    items.length = w;
    this.bound = bound;
  }
}
