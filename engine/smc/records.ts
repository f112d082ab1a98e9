// What the detectors report to a sink: every new structure, and the end of a zone's life.
import type { FairValueGap, OrderBlock, StructureRecord } from '../types.js';

/** A zone died: `ts` is the close time of the candle that mitigated / filled it (= ref.mitigatedAt / ref.filledAt). */
export type ZoneEnd =
  | { type: 'ob_mitigated'; ts: number; ref: OrderBlock }
  | { type: 'fvg_filled'; ts: number; ref: FairValueGap };

export type SmcRecord = StructureRecord | ZoneEnd;

export type SmcSink = (r: SmcRecord) => void;
