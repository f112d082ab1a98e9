// Live zones of one side, kept sorted by their kill price so that the zones a candle can kill are
// always at the end: checking a candle costs one comparison, and each kill is a pop. Insertion is
// a short walk from the end (new zones usually sit nearest to price).
export class ZoneList<Z> {
  /** Live zones, the one nearest to being killed last. */
  readonly items: Z[] = [];
  /** Kill prices, parallel to `items`: ascending when zones are killed from above, descending otherwise. */
  private readonly triggers: number[] = [];
  /** Each zone's far edge (its top when killed from above, else its bottom), parallel to `items`. */
  private readonly edges: number[] = [];
  /** Running extreme of `edges` from the first zone: max when killed from above, else min. */
  private readonly reach: number[] = [];

  /**
   * @param fromAbove true when a price falling to the trigger kills the zone (bullish zones)
   * @param inclusive true when touching the trigger kills; false when price must pass it
   */
  constructor(
    private readonly fromAbove: boolean,
    private readonly inclusive: boolean,
  ) {}

  /** @param edge the zone's far edge: its top when killed from above, else its bottom (see farthestEdge) */
  add(z: Z, trigger: number, edge: number): void {
    const items = this.items;
    const tr = this.triggers;
    let i = tr.length;
    // A new zone goes after zones with an equal trigger (they die together anyway).
    if (this.fromAbove) while (i > 0 && tr[i - 1] > trigger) i--;
    else while (i > 0 && tr[i - 1] < trigger) i--;
    if (i === tr.length) {
      items.push(z);
      tr.push(trigger);
      this.edges.push(edge);
      this.reach.push(i === 0 ? edge : this.fromAbove ? Math.max(this.reach[i - 1], edge) : Math.min(this.reach[i - 1], edge));
    } else {
      items.splice(i, 0, z);
      tr.splice(i, 0, trigger);
      this.edges.splice(i, 0, edge);
      this.reach.splice(i, 0, edge);
      this.rebuildReach(i);
    }
  }

  /**
   * The farthest edge among the zones whose trigger lies at or beyond `price` on the live side
   * (trigger ≤ price when killed from above, ≥ price otherwise): the highest top, or the lowest
   * bottom; -Infinity / Infinity when there is none. Answers "does a candle at `price` overlap any
   * zone" in O(log n) instead of a walk over every live zone.
   */
  farthestEdge(price: number): number {
    const tr = this.triggers;
    // Triggers are sorted, so the zones on the live side of `price` are a prefix: find its length.
    let lo = 0;
    let hi = tr.length;
    if (this.fromAbove) {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (tr[mid] <= price) lo = mid + 1;
        else hi = mid;
      }
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (tr[mid] >= price) lo = mid + 1;
        else hi = mid;
      }
    }
    if (lo === 0) return this.fromAbove ? -Infinity : Infinity;
    return this.reach[lo - 1];
  }

  private rebuildReach(from: number): void {
    const edges = this.edges;
    const reach = this.reach;
    for (let j = from; j < edges.length; j++) {
      reach[j] = j === 0 ? edges[0] : this.fromAbove ? Math.max(reach[j - 1], edges[j]) : Math.min(reach[j - 1], edges[j]);
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
    const edges = this.edges;
    const reach = this.reach;
    do {
      out.push(items.pop()!);
      tr.pop();
      edges.pop();
      reach.pop();
      n--;
    } while (n > 0 && this.kills(price, tr[n - 1]));
  }
}
