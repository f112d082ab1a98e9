// The synchronous tree walk against onnxruntime-node on hand-encoded ONNX models that use every
// comparison mode and both missing-value rules, plus the refusals of graphs it cannot evaluate.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readOnnxGraph } from '../../src/ml/onnx-proto.js';
import { probeRows, TreeEnsembleScorer, UnsupportedModel } from '../../src/ml/tree-ensemble.js';

// ---- a minimal protobuf writer for the test models ----
type Field = [number, 'varint', number] | [number, 'f32', number] | [number, 'bytes', Uint8Array | string];

function varint(n: number): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

function msg(fields: Field[]): Uint8Array {
  const out: number[] = [];
  for (const [no, kind, value] of fields) {
    if (kind === 'varint') out.push(...varint(no << 3), ...varint(value));
    else if (kind === 'f32') {
      out.push(...varint((no << 3) | 5));
      out.push(...new Uint8Array(Float32Array.of(value).buffer));
    } else {
      const b = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      out.push(...varint((no << 3) | 2), ...varint(b.length), ...b);
    }
  }
  return Uint8Array.from(out);
}

const attrInts = (name: string, v: number[]): Field => [5, 'bytes', msg([[1, 'bytes', name], [20, 'varint', 7], ...v.map((x): Field => [8, 'varint', x])])];
const attrFloats = (name: string, v: number[]): Field => [5, 'bytes', msg([[1, 'bytes', name], [20, 'varint', 6], ...v.map((x): Field => [7, 'f32', x])])];
const attrStrings = (name: string, v: string[]): Field => [5, 'bytes', msg([[1, 'bytes', name], [20, 'varint', 8], ...v.map((x): Field => [9, 'bytes', x])])];
const attrString = (name: string, v: string): Field => [5, 'bytes', msg([[1, 'bytes', name], [20, 'varint', 3], [4, 'bytes', v]])];

function valueInfo(name: string, elem: number, dims: (number | string)[]): Field {
  const shape = msg(dims.map((d): Field => [1, 'bytes', typeof d === 'number' ? msg([[1, 'varint', d]]) : msg([[2, 'bytes', d]])]));
  const tensor = msg([[1, 'varint', elem], [2, 'bytes', shape]]);
  return [0, 'bytes', msg([[1, 'bytes', name], [2, 'bytes', msg([[1, 'bytes', tensor]])]])];
}

interface TreeNode { id: number; mode: string; feature?: number; value?: number; t?: number; f?: number; missingTrue?: boolean; weight?: number }

function model(trees: TreeNode[][], opts: { post?: string; base?: number[]; classId?: number; extraNode?: boolean } = {}): Uint8Array {
  const nodes = trees.flatMap((tree, treeId) => tree.map((n) => ({ ...n, treeId })));
  const leaves = nodes.filter((n) => n.mode === 'LEAF');
  const attrs: Field[] = [
    attrInts('nodes_treeids', nodes.map((n) => n.treeId)),
    attrInts('nodes_nodeids', nodes.map((n) => n.id)),
    attrInts('nodes_featureids', nodes.map((n) => n.feature ?? 0)),
    attrFloats('nodes_values', nodes.map((n) => n.value ?? 0)),
    attrStrings('nodes_modes', nodes.map((n) => n.mode)),
    attrInts('nodes_truenodeids', nodes.map((n) => n.t ?? 0)),
    attrInts('nodes_falsenodeids', nodes.map((n) => n.f ?? 0)),
    attrInts('nodes_missing_value_tracks_true', nodes.map((n) => (n.missingTrue ? 1 : 0))),
    attrInts('class_treeids', leaves.map((n) => n.treeId)),
    attrInts('class_nodeids', leaves.map((n) => n.id)),
    attrInts('class_ids', leaves.map(() => opts.classId ?? 0)),
    attrFloats('class_weights', leaves.map((n) => n.weight ?? 0)),
    attrInts('classlabels_int64s', [0, 1]),
    attrString('post_transform', opts.post ?? 'LOGISTIC'),
    attrFloats('base_values', opts.base ?? [0.25]),
  ];
  const treeNode = msg([[1, 'bytes', 'features'], [2, 'bytes', 'label'], [2, 'bytes', 'probabilities'], [4, 'bytes', 'TreeEnsembleClassifier'], [7, 'bytes', 'ai.onnx.ml'], ...attrs]);
  const graphFields: Field[] = [[1, 'bytes', treeNode]];
  if (opts.extraNode) graphFields.push([1, 'bytes', msg([[1, 'bytes', 'probabilities'], [2, 'bytes', 'p2'], [4, 'bytes', 'Identity']])]);
  graphFields.push([2, 'bytes', 'g']);
  const [, , inInfo] = valueInfo('features', 1, ['N', 3]);
  const [, , labelInfo] = valueInfo('label', 7, ['N']);
  const [, , probInfo] = valueInfo('probabilities', 1, ['N', 2]);
  graphFields.push([11, 'bytes', inInfo as Uint8Array], [12, 'bytes', labelInfo as Uint8Array], [12, 'bytes', probInfo as Uint8Array]);
  return msg([
    [1, 'varint', 8],
    [8, 'bytes', msg([[1, 'bytes', ''], [2, 'varint', 15]])],
    [8, 'bytes', msg([[1, 'bytes', 'ai.onnx.ml'], [2, 'varint', 1]])],
    [7, 'bytes', msg(graphFields)],
  ]);
}

/** One tree per comparison mode on feature `k % 3`, with both missing-value rules. */
function allModes(): TreeNode[][] {
  const modes = ['BRANCH_LT', 'BRANCH_LEQ', 'BRANCH_GT', 'BRANCH_GTE', 'BRANCH_EQ', 'BRANCH_NEQ'];
  return modes.map((mode, k) => [
    { id: 0, mode, feature: k % 3, value: 0.5, t: 1, f: 2, missingTrue: k % 2 === 0 },
    { id: 1, mode: 'BRANCH_LT', feature: (k + 1) % 3, value: -1.25, t: 3, f: 4 },
    { id: 2, mode: 'LEAF', weight: -0.3 - k / 10 },
    { id: 3, mode: 'LEAF', weight: 0.9 },
    { id: 4, mode: 'LEAF', weight: 0.2 + k / 20 },
  ]);
}

async function ortProbabilities(bytes: Uint8Array, rows: Float64Array[]): Promise<number[]> {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  const x = new Float32Array(rows.length * 3);
  rows.forEach((r, i) => x.set(r, i * 3));
  const out = await s.run({ features: new ort.Tensor('float32', x, [rows.length, 3]) });
  const p = out.probabilities!.data as Float32Array;
  await s.release();
  return rows.map((_, i) => p[i * 2 + 1]!);
}

describe('TreeEnsembleScorer', () => {
  it('reads the graph of an encoded model', () => {
    const g = readOnnxGraph(model(allModes()));
    expect(g.inputs).toEqual(['features']);
    expect(g.outputs).toEqual(['label', 'probabilities']);
    expect(g.nodes[0]!.opType).toBe('TreeEnsembleClassifier');
    expect(g.nodes[0]!.attributes.get('nodes_modes')).toHaveLength(30);
    expect(g.nodes[0]!.attributes.get('post_transform')).toBe('LOGISTIC');
  });

  it('matches onnxruntime for every comparison mode, on, beside and off the thresholds and with missing values', async () => {
    const bytes = model(allModes());
    const scorer = TreeEnsembleScorer.fromOnnx(bytes, 3);
    const rows = [
      ...probeRows(scorer, 200),
      Float64Array.of(0.5, -1.25, 0.5),
      Float64Array.of(NaN, NaN, NaN),
      Float64Array.of(0.5000001, -1.2500001, 0.4999999), // rounds onto the thresholds as float32
      Float64Array.of(10, 10, -10),
    ];
    const ref = await ortProbabilities(bytes, rows);
    const mine = rows.map((r) => scorer.probability(r));
    for (let i = 0; i < rows.length; i++) expect(Math.abs(mine[i]! - ref[i]!), `row ${i}: ${Array.from(rows[i]!)}`).toBeLessThanOrEqual(1e-6);
    // the probes reach different leaves: many distinct probabilities
    expect(new Set(mine.map((p) => p.toFixed(6))).size).toBeGreaterThan(20);
  });

  it('computes the logistic of base plus leaf weights', () => {
    const scorer = TreeEnsembleScorer.fromOnnx(model([[{ id: 0, mode: 'LEAF', weight: 0.5 }]], { base: [0.25] }), 3);
    expect(scorer.probability(Float64Array.of(0, 0, 0))).toBeCloseTo(1 / (1 + Math.exp(-0.75)), 12);
    expect(() => scorer.probability(new Float64Array(2))).toThrow(/has 2 values, the model takes 3/);
  });

  it('refuses graphs it cannot evaluate, saying why', () => {
    const leaf = [[{ id: 0, mode: 'LEAF', weight: 1 }]];
    expect(() => TreeEnsembleScorer.fromOnnx(model(leaf, { post: 'NONE' }), 3)).toThrow(UnsupportedModel);
    expect(() => TreeEnsembleScorer.fromOnnx(model(leaf, { post: 'NONE' }), 3)).toThrow(/expected post_transform LOGISTIC, found NONE/);
    expect(() => TreeEnsembleScorer.fromOnnx(model(leaf, { extraNode: true }), 3)).toThrow(/found TreeEnsembleClassifier, Identity/);
    expect(() => TreeEnsembleScorer.fromOnnx(model([[{ id: 0, mode: 'BRANCH_LT', feature: 7, t: 1, f: 2 }, { id: 1, mode: 'LEAF' }, { id: 2, mode: 'LEAF' }]]), 3))
      .toThrow(/splits on feature 7, the model takes 3/);
    expect(() => readOnnxGraph(Uint8Array.of(0x3a, 0x05, 0x01))).toThrow(/truncated/);
  });
});
