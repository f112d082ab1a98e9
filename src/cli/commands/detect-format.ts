// One JSON line per detected structure; mitigation and fill are their own records so every
// record is final the moment it is printed (a longer window never changes an earlier record).
import type { FairValueGap, OrderBlock, StructureRecord } from '../../../engine/types.js';

export type DetectRecord = { type: string; known_at: string; ts: string } & Record<string, string | number>;

const iso = (t: number) => new Date(t).toISOString();

export function recordToJson(r: StructureRecord | { type: 'ob_mitigated' | 'fvg_filled'; ts: number; ref: OrderBlock | FairValueGap }): DetectRecord {
  switch (r.type) {
    case 'swing':
      return { type: `swing_${r.data.kind}`, known_at: iso(r.data.confirmedAt), ts: iso(r.data.ts), price: r.data.price };
    case 'structure':
      return { type: `${r.data.kind}_${r.data.side}`, known_at: iso(r.data.confirmedAt), ts: iso(r.data.ts), level: r.data.level, swing_ts: iso(r.data.swingTs) };
    case 'order_block':
      return { type: `ob_${r.data.side}`, known_at: iso(r.data.confirmedAt), ts: iso(r.data.ts), bottom: r.data.bottom, top: r.data.top, mid: r.data.mid, impulse_ts: iso(r.data.impulseTs) };
    case 'fvg':
      return { type: `fvg_${r.data.side}`, known_at: iso(r.data.confirmedAt), ts: iso(r.data.ts), bottom: r.data.bottom, top: r.data.top };
    case 'sweep':
      return { type: `sweep_${r.data.side}`, known_at: iso(r.data.confirmedAt), ts: iso(r.data.ts), level: r.data.level, swing_ts: iso(r.data.swingTs) };
    case 'ob_mitigated':
      return { type: `ob_${r.ref.side}_mitigated`, known_at: iso(r.ts), ts: iso(r.ref.ts), mid: (r.ref as OrderBlock).mid };
    case 'fvg_filled':
      return { type: `fvg_${r.ref.side}_filled`, known_at: iso(r.ts), ts: iso(r.ref.ts), bottom: r.ref.bottom, top: r.ref.top };
  }
}
