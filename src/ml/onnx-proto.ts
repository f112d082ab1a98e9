// Just enough of the protobuf wire format to read the attributes of the nodes of an ONNX model
// (ModelProto.graph.node[].attribute[]), so the tree ensemble can be evaluated synchronously in JS.
// Field numbers are from onnx/onnx.proto (proto2: repeated scalars unpacked, but packed is accepted too).

export type AttributeValue = number | string | number[] | string[];

export interface OnnxNode {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, AttributeValue>;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  inputs: string[];
  outputs: string[];
}

const utf8 = new TextDecoder();

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a signed 64-bit value converted to a JS number (ids and counts are small). */
  varint(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('ONNX model: truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7n;
      if (shift > 63n) throw new Error('ONNX model: varint too long');
    }
    return Number(BigInt.asIntN(64, result));
  }

  float32(): number {
    if (this.pos + 4 > this.end) throw new Error('ONNX model: truncated float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  bytes(): Reader {
    const len = this.varint();
    if (len < 0 || this.pos + len > this.end) throw new Error('ONNX model: truncated length-delimited field');
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  string(): string {
    const r = this.bytes();
    return utf8.decode(this.buf.subarray(r.pos, r.end));
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`ONNX model: unsupported protobuf wire type ${wire}`);
  }

  /** Iterates the fields of this message. */
  *fields(): Generator<[number, number]> {
    while (!this.done()) {
      const key = this.varint();
      yield [key >>> 3, key & 7];
    }
  }
}

function readAttribute(r: Reader): [string, AttributeValue] {
  let name = '';
  let f: number | undefined;
  let i: number | undefined;
  let s: string | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  let type = 0;
  for (const [field, wire] of r.fields()) {
    if (field === 1 && wire === 2) name = r.string();
    else if (field === 2 && wire === 5) f = r.float32();
    else if (field === 3 && wire === 0) i = r.varint();
    else if (field === 4 && wire === 2) s = r.string();
    else if (field === 7 && wire === 5) floats.push(r.float32());
    else if (field === 7 && wire === 2) {
      const p = r.bytes();
      while (!p.done()) floats.push(p.float32());
    } else if (field === 8 && wire === 0) ints.push(r.varint());
    else if (field === 8 && wire === 2) {
      const p = r.bytes();
      while (!p.done()) ints.push(p.varint());
    } else if (field === 9 && wire === 2) strings.push(r.string());
    else if (field === 20 && wire === 0) type = r.varint();
    else r.skip(wire);
  }
  // AttributeType: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7, STRINGS 8
  switch (type) {
    case 1: return [name, f ?? 0];
    case 2: return [name, i ?? 0];
    case 3: return [name, s ?? ''];
    case 6: return [name, floats];
    case 7: return [name, ints];
    case 8: return [name, strings];
    default:
      // Untyped (old writers): whatever was present.
      if (floats.length) return [name, floats];
      if (ints.length) return [name, ints];
      if (strings.length) return [name, strings];
      return [name, s ?? i ?? f ?? 0];
  }
}

function readNode(r: Reader): OnnxNode {
  const node: OnnxNode = { opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  for (const [field, wire] of r.fields()) {
    if (field === 1 && wire === 2) node.inputs.push(r.string());
    else if (field === 2 && wire === 2) node.outputs.push(r.string());
    else if (field === 4 && wire === 2) node.opType = r.string();
    else if (field === 7 && wire === 2) node.domain = r.string();
    else if (field === 5 && wire === 2) {
      const [k, v] = readAttribute(r.bytes());
      node.attributes.set(k, v);
    } else r.skip(wire);
  }
  return node;
}

/** ValueInfoProto.name (field 1). */
function readValueName(r: Reader): string {
  let name = '';
  for (const [field, wire] of r.fields()) {
    if (field === 1 && wire === 2) name = r.string();
    else r.skip(wire);
  }
  return name;
}

/** The main graph of a serialized ONNX ModelProto. */
export function readOnnxGraph(bytes: Uint8Array): OnnxGraph {
  const model = new Reader(bytes);
  for (const [field, wire] of model.fields()) {
    if (field !== 7 || wire !== 2) {
      model.skip(wire);
      continue;
    }
    const g = model.bytes();
    const graph: OnnxGraph = { nodes: [], inputs: [], outputs: [] };
    for (const [f, w] of g.fields()) {
      if (f === 1 && w === 2) graph.nodes.push(readNode(g.bytes()));
      else if (f === 11 && w === 2) graph.inputs.push(readValueName(g.bytes()));
      else if (f === 12 && w === 2) graph.outputs.push(readValueName(g.bytes()));
      else g.skip(w);
    }
    return graph;
  }
  throw new Error('ONNX model has no graph');
}
