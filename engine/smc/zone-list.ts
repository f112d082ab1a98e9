// Live zones of one side, kept sorted by their kill price so that the zones a candle can kill are
// always at the end: checking a candle costs one comparison, and each kill is a pop. Insertion is
// a short walk from the end (new zones usually sit nearest to price).
export class ZoneList<Z> {
  /** Live zones, the one nearest to being killed last. */
  readonly items: Z[] = [];
  /** Kill prices, parallel to `items`: ascending when zones are killed from above, descending otherwise. */
  private readonly triggers: number[] = [];

  /**
   * @param fromAbove true when a price falling to the trigger kills the zone (bullish zones)
   * @param inclusive true when touching the trigger kills; false when price must pass it
   */
  constructor(
    private readonly fromAbove: boolean,
    private readonly inclusive: boolean,
  ) {}

  add(z: Z, trigger: number): void {
    const items = this.items;
    const tr = this.triggers;
    let i = tr.length;
    // A new zone goes after zones with an equal trigger (they die together anyway).
    if (this.fromAbove) while (i > 0 && tr[i - 1] > trigger) i--;
    else while (i > 0 && tr[i - 1] < trigger) i--;
    if (i === tr.length) {
      items.push(z);
      tr.push(trigger);
    } else {
      items.splice(i, 0, z);
      tr.splice(i, 0, trigger);
    }
  }

  private kills(price: number, t: number): boolean {
    if (this.fromAbove) return this.inclusive ? price <= t : price < t;
    return this.inclusive ? price >= t : price > t;
  }

  /** Does `price` kill at least one zone? */
  reachedBy(price: number): boolean {
    const tr = this.triggers;
    const n = tr.length;
    return n > 0 && this.kills(price, tr[n - 1]);
  }

  /** Moves every zone that `price` kills into `out`, nearest trigger first. */
  removeReached(price: number, out: Z[]): void {
    const tr = this.triggers;
    let n = tr.length;
    if (n === 0 || !this.kills(price, tr[n - 1])) return;
    const items = this.items;
    // pop() rather than setting .length: V8 handles pop inline, a length store goes to the runtime.
    do {
      out.push(items.pop()!);
      tr.pop();
      n--;
    } while (n > 0 && this.kills(price, tr[n - 1]));
  }
}
