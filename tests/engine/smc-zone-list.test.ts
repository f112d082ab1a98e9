// ZoneList.farthestEdge answers "does a candle overlap any live zone" with a binary search over the
// kill-sorted zones and a running extreme of their far edges; it must equal the walk over every zone.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ZoneList } from '../../engine/smc/zone-list.js';

interface Z { trigger: number; edge: number }

/** What farthestEdge must return: the walk over every live zone. */
function walk(items: readonly Z[], fromAbove: boolean, price: number): number {
  let best = fromAbove ? -Infinity : Infinity;
  for (const z of items) {
    if (fromAbove ? z.trigger <= price : z.trigger >= price) best = fromAbove ? Math.max(best, z.edge) : Math.min(best, z.edge);
  }
  return best;
}

describe('ZoneList.farthestEdge', () => {
  it('by hand: bullish zones (killed from above) give the highest top among triggers ≤ price', () => {
    const l = new ZoneList<Z>(true, true);
    expect(l.farthestEdge(100)).toBe(-Infinity);
    for (const z of [{ trigger: 95, edge: 97 }, { trigger: 90, edge: 99 }, { trigger: 98, edge: 98.5 }]) l.add(z, z.trigger, z.edge);
    expect(l.farthestEdge(89)).toBe(-Infinity);
    expect(l.farthestEdge(90)).toBe(99); // trigger equal to the price counts
    expect(l.farthestEdge(97)).toBe(99);
    const dead: Z[] = [];
    l.removeReached(92, dead); // kills 98 and 95, keeps 90
    expect(dead.map((z) => z.trigger)).toEqual([98, 95]);
    expect(l.farthestEdge(100)).toBe(99);
  });

  it('by hand: bearish zones (killed from below) give the lowest bottom among triggers ≥ price', () => {
    const l = new ZoneList<Z>(false, false);
    for (const z of [{ trigger: 105, edge: 103 }, { trigger: 110, edge: 101 }]) l.add(z, z.trigger, z.edge);
    expect(l.farthestEdge(111)).toBe(Infinity);
    expect(l.farthestEdge(106)).toBe(101);
    expect(l.farthestEdge(104)).toBe(101);
  });

  it('property: equals the walk over every zone after any adds and kills, both directions', () => {
    const price = fc.integer({ min: 0, max: 40 }).map((n) => n / 2);
    const op = fc.oneof(
      fc.record({ add: fc.constant(true), trigger: price, edge: price }),
      fc.record({ add: fc.constant(false), trigger: price, edge: price }),
    );
    fc.assert(fc.property(fc.boolean(), fc.boolean(), fc.array(op, { maxLength: 60 }), fc.array(price, { minLength: 1, maxLength: 10 }),
      (fromAbove, inclusive, ops, probes) => {
        const l = new ZoneList<Z>(fromAbove, inclusive);
        for (const o of ops) {
          if (o.add) l.add({ trigger: o.trigger, edge: o.edge }, o.trigger, o.edge);
          else l.removeReached(o.trigger, []);
          for (const p of probes) expect(l.farthestEdge(p)).toBe(walk(l.items, fromAbove, p));
        }
      }));
  });
});
