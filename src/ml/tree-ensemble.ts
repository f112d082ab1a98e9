// Synchronous evaluation of the ONNX TreeEnsembleClassifier that ml/train.py exports (XGBoost, binary,
// logistic). The trading session scores a signal synchronously while it handles a candle, and
// onnxruntime-node only runs asynchronously; so the bot reads the same model.onnx here and walks the
// trees in JS. OnnxWinModel checks at load that this agrees with onnxruntime (≤ 1e-5) on probe rows
// that sit exactly on and around the split thresholds, so a semantic slip cannot pass silently.
import { readOnnxGraph, type AttributeValue, type OnnxNode } from './onnx-proto.js';

const MODES = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ', 'LEAF'] as const;
const LEAF = MODES.indexOf('LEAF');

export class UnsupportedModel extends Error {}

function nums(n: OnnxNode, name: string, required = true): number[] {
  const v = n.attributes.get(name);
  if (v === undefined && !required) return [];
  if (!Array.isArray(v) || (v.length > 0 && typeof v[0] !== 'number')) {
    throw new UnsupportedModel(`TreeEnsembleClassifier attribute ${name} is missing or not a number list`);
  }
  return v as number[];
}

function text(v: AttributeValue | undefined): string {
  return typeof v === 'string' ? v : '';
}

export class TreeEnsembleScorer {
  private constructor(
    readonly nFeatures: number,
    private readonly roots: Int32Array,
    private readonly feature: Int32Array,
    private readonly threshold: Float64Array,
    private readonly mode: Int8Array,
    private readonly trueNext: Int32Array,
    private readonly falseNext: Int32Array,
    private readonly missingTrue: Uint8Array,
    private readonly leafWeight: Float64Array,
    private readonly base: number,
  ) {}

  /** Reads the model; throws UnsupportedModel (with the reason) for any graph but one binary logistic tree ensemble. */
  static fromOnnx(bytes: Uint8Array, nFeatures: number): TreeEnsembleScorer {
    const graph = readOnnxGraph(bytes);
    const trees = graph.nodes.filter((n) => n.opType === 'TreeEnsembleClassifier');
    const others = graph.nodes.filter((n) => n.opType !== 'TreeEnsembleClassifier' && n.opType !== 'ZipMap');
    if (trees.length !== 1 || others.length) {
      throw new UnsupportedModel(`expected one TreeEnsembleClassifier node, found ${graph.nodes.map((n) => n.opType).join(', ') || 'none'}`);
    }
    const n = trees[0]!;
    const labels = nums(n, 'classlabels_int64s', false);
    if (labels.length !== 2 || labels[0] !== 0 || labels[1] !== 1) throw new UnsupportedModel('expected a binary classifier with labels 0 and 1');
    const post = text(n.attributes.get('post_transform'));
    if (post !== 'LOGISTIC') throw new UnsupportedModel(`expected post_transform LOGISTIC, found ${post || 'NONE'}`);
    const classIds = nums(n, 'class_ids');
    if (new Set(classIds).size > 1) throw new UnsupportedModel('expected the binary form (weights on one class only)');
    const baseValues = nums(n, 'base_values', false);
    if (baseValues.length > 1) throw new UnsupportedModel('expected at most one base value');

    const treeIds = nums(n, 'nodes_treeids');
    const nodeIds = nums(n, 'nodes_nodeids');
    const featureIds = nums(n, 'nodes_featureids');
    const values = nums(n, 'nodes_values');
    const trueIds = nums(n, 'nodes_truenodeids');
    const falseIds = nums(n, 'nodes_falsenodeids');
    const missing = nums(n, 'nodes_missing_value_tracks_true', false);
    const modes = n.attributes.get('nodes_modes');
    const count = treeIds.length;
    if (!Array.isArray(modes) || modes.length !== count || [nodeIds, featureIds, values, trueIds, falseIds].some((a) => a.length !== count)) {
      throw new UnsupportedModel('TreeEnsembleClassifier node attributes have different lengths');
    }
    const key = (tree: number, node: number): number => tree * 2 ** 24 + node;
    const index = new Map<number, number>();
    for (let i = 0; i < count; i++) index.set(key(treeIds[i]!, nodeIds[i]!), i);

    const feature = new Int32Array(count);
    const threshold = new Float64Array(count);
    const mode = new Int8Array(count);
    const trueNext = new Int32Array(count).fill(-1);
    const falseNext = new Int32Array(count).fill(-1);
    const missingTrue = new Uint8Array(count);
    const isChild = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const m = MODES.indexOf(String(modes[i]) as (typeof MODES)[number]);
      if (m < 0) throw new UnsupportedModel(`unknown node mode ${String(modes[i])}`);
      mode[i] = m;
      threshold[i] = values[i]!;
      feature[i] = featureIds[i]!;
      missingTrue[i] = missing[i] ? 1 : 0;
      if (m === LEAF) continue;
      if (feature[i]! < 0 || feature[i]! >= nFeatures) throw new UnsupportedModel(`node splits on feature ${feature[i]}, the model takes ${nFeatures}`);
      const t = index.get(key(treeIds[i]!, trueIds[i]!));
      const f = index.get(key(treeIds[i]!, falseIds[i]!));
      if (t === undefined || f === undefined) throw new UnsupportedModel(`node ${nodeIds[i]} of tree ${treeIds[i]} points at a missing node`);
      trueNext[i] = t;
      falseNext[i] = f;
      isChild[t] = 1;
      isChild[f] = 1;
    }
    const leafWeight = new Float64Array(count);
    const weights = nums(n, 'class_weights');
    const wTrees = nums(n, 'class_treeids');
    const wNodes = nums(n, 'class_nodeids');
    for (let k = 0; k < weights.length; k++) {
      const i = index.get(key(wTrees[k]!, wNodes[k]!));
      if (i === undefined || mode[i] !== LEAF) throw new UnsupportedModel('a class weight belongs to no leaf');
      leafWeight[i]! += weights[k]!;
    }
    const roots: number[] = [];
    for (let i = 0; i < count; i++) if (!isChild[i]) roots.push(i);
    return new TreeEnsembleScorer(nFeatures, Int32Array.from(roots), feature, threshold, mode, trueNext, falseNext, missingTrue, leafWeight, baseValues[0] ?? 0);
  }

  /** P(win), 0-1, of one feature vector (taken as float32, as onnxruntime takes it; NaN = missing). */
  probability(features: Float64Array): number {
    if (features.length !== this.nFeatures) throw new Error(`feature vector has ${features.length} values, the model takes ${this.nFeatures}`);
    let score = this.base;
    for (let t = 0; t < this.roots.length; t++) {
      let i = this.roots[t]!;
      while (this.mode[i] !== LEAF) {
        const x = Math.fround(features[this.feature[i]!]!);
        const th = this.threshold[i]!;
        let go: boolean;
        switch (this.mode[i]) {
          case 0: go = x <= th; break;
          case 1: go = x < th; break;
          case 2: go = x >= th; break;
          case 3: go = x > th; break;
          case 4: go = x === th; break;
          default: go = x !== th;
        }
        if (!go && this.missingTrue[i] && Number.isNaN(x)) go = true;
        i = go ? this.trueNext[i]! : this.falseNext[i]!;
      }
      score += this.leafWeight[i]!;
    }
    return 1 / (1 + Math.exp(-score));
  }

  /** Split thresholds per feature (for probe rows that test the comparison at its edges). */
  thresholdsByFeature(): number[][] {
    const out: number[][] = Array.from({ length: this.nFeatures }, () => []);
    for (let i = 0; i < this.mode.length; i++) if (this.mode[i] !== LEAF) out[this.feature[i]!]!.push(this.threshold[i]!);
    return out;
  }
}

/**
 * Deterministic probe rows for the load-time check: each value is a split threshold of its feature
 * exactly, one float32 step either side of it, or missing, so every comparison mode and the missing
 * branch are exercised.
 */
export function probeRows(scorer: TreeEnsembleScorer, count = 64): Float64Array[] {
  let s = 12345;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const step = (x: number, dir: 1 | -1): number => {
    f32[0] = x;
    if (x === 0) return dir * 1e-30;
    u32[0]! += x > 0 === (dir > 0) ? 1 : -1;
    return f32[0]!;
  };
  const th = scorer.thresholdsByFeature();
  return Array.from({ length: count }, () =>
    Float64Array.from(th, (list) => {
      if (!list.length) return rnd() * 2 - 1;
      const r = rnd();
      const t = list[Math.floor(rnd() * list.length)]!;
      return r < 0.08 ? NaN : r < 0.4 ? t : r < 0.7 ? step(t, 1) : step(t, -1);
    }),
  );
}
