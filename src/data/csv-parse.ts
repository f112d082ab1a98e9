// Byte-level parser and validator of the `ts,open,high,low,close,volume` candle CSV.
// One pass over the bytes: numbers are built digit by digit (no split, no Number() per field) and
// every row is validated as it is parsed. Only a row the fast path cannot take (scientific notation,
// very long numbers, or an error to report) is re-read as text. Any violation throws a DataError naming file, row, problem.
import type { CandleSeries } from '../../engine/types.js';
import { floorTo, TF_MS, TIMEFRAMES, type Timeframe } from '../../engine/timeframe.js';
import { DataError } from './errors.js';

export const CSV_HEADER = 'ts,open,high,low,close,volume';
const FIELD_NAMES = ['ts', 'open', 'high', 'low', 'close', 'volume'] as const;

const COMMA = 44;
const LF = 10;
const CR = 13;
const DOT = 46;
const MINUS = 45;
const ZERO = 48;
/** Mantissas below this are exact doubles, and so is every partial sum that built them. */
const MAX_EXACT = 2 ** 53;
/** 10^0 .. 10^22 are exact doubles, so mantissa / POW10[k] is correctly rounded (= Number(text)). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** What the slow path accepts: a plain or scientific decimal. */
const DECIMAL_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export interface ParseOptions {
  /** File name used in error messages. */
  file: string;
  symbol: string;
  /** Timeframe of the rows; when absent it is inferred from the smallest step between rows. */
  tf?: Timeframe;
  /** Where `tf` came from, for the mismatch message (e.g. "file name"). */
  tfSource?: string;
}

/** Fields of one row, filled by the fast or the slow path (reused; parsing is synchronous). */
const vals = new Float64Array(6);

/**
 * Slow path for one row the fast path could not take (scientific notation, too many digits, or
 * something wrong): parses it with Number() after checking each field's shape, or throws the
 * row's problem. Returns the offset after the line.
 */
function slowRow(buf: Uint8Array, lineStart: number, end: number, fail: (problem: string) => never): number {
  let lineEnd = lineStart;
  while (lineEnd < end && buf[lineEnd] !== LF) lineEnd++;
  const fields = lineFields(buf, lineStart, lineEnd);
  if (fields.length !== 6) fail(`has ${fields.length} field${fields.length === 1 ? '' : 's'}, expected 6 (${CSV_HEADER})`);
  for (let k = 0; k < 6; k++) {
    const raw = fields[k];
    if (raw === '') fail(`${FIELD_NAMES[k]} is empty`);
    if (!DECIMAL_RE.test(raw)) fail(`${FIELD_NAMES[k]} "${raw.slice(0, 40)}" is not a number`);
    const v = Number(raw);
    if (!Number.isFinite(v)) fail(`${FIELD_NAMES[k]} "${raw.slice(0, 40)}" is not a finite number`);
    vals[k] = v;
  }
  return lineEnd + 1;
}

function text(buf: Uint8Array, from: number, to: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + from, to - from).toString('latin1');
}

/** The fields of the line starting at `lineStart`, as text (error path only). */
function lineFields(buf: Uint8Array, lineStart: number, end: number): string[] {
  let lineEnd = lineStart;
  while (lineEnd < end && buf[lineEnd] !== LF) lineEnd++;
  let line = text(buf, lineStart, lineEnd);
  if (line.endsWith('\r')) line = line.slice(0, -1);
  return line.split(',');
}

/** Parses and validates a whole CSV buffer (already gunzipped) into columns. */
export function parseCandleCsv(buf: Uint8Array, opts: ParseOptions): CandleSeries {
  const { file } = opts;
  const end = buf.length;
  let line = 1;
  const fail = (problem: string): never => {
    throw new DataError(`${file} row ${line}: ${problem}`);
  };

  // ---- header (line 1) ----
  let p = 0;
  if (end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) p = 3; // UTF-8 BOM
  let q = p;
  while (q < end && (buf[q] === LF || buf[q] === CR || buf[q] === 32)) q++;
  if (q >= end) throw new DataError(`${file}: file is empty (expected the header ${CSV_HEADER})`);
  let headerEnd = p;
  while (headerEnd < end && buf[headerEnd] !== LF) headerEnd++;
  const header = text(buf, p, headerEnd).replace(/\r$/, '');
  if (header !== CSV_HEADER) fail(`header is "${header.slice(0, 80)}" but must be "${CSV_HEADER}"`);
  p = headerEnd + 1;

  // ---- capacity: estimated from the first row (counting every line first cost a pass over the
  // whole file); doubled in the rare case the rows turn out shorter ----
  let cap = initialCapacity(buf, p, end);
  let ts = new Float64Array(cap);
  let open = new Float64Array(cap);
  let high = new Float64Array(cap);
  let low = new Float64Array(cap);
  let close = new Float64Array(cap);
  let volume = new Float64Array(cap);

  const tf = opts.tf;
  const tfMs = tf === undefined ? 0 : TF_MS[tf];
  let n = 0;
  let prevTs = -Infinity;
  line = 2;

  while (p < end) {
    const lineStart = p;
    if (buf[p] === LF || buf[p] === CR) {
      // Only trailing blank lines are tolerated.
      let r = p;
      while (r < end && (buf[r] === LF || buf[r] === CR)) r++;
      if (r === end) break;
      fail('empty line');
    }

    // Fast path: six plain decimals, digits accumulated into an exact integer mantissa. Dividing
    // it by an exact power of ten is one correctly rounded operation, so the value equals Number(text).
    let fast = true;
    for (let k = 0; k < 6; k++) {
      let neg = false;
      if (buf[p] === MINUS) {
        neg = true;
        p++;
      }
      let mantissa = 0;
      let digits = 0;
      let fracDigits = -1;
      for (; p < end; p++) {
        const b = buf[p];
        const d = b - ZERO;
        if (d >= 0 && d <= 9) {
          mantissa = mantissa * 10 + d;
          digits++;
          if (fracDigits >= 0) fracDigits++;
        } else if (b === DOT && fracDigits < 0) {
          fracDigits = 0;
        } else break;
      }
      if (digits === 0 || mantissa >= MAX_EXACT || fracDigits > 22) {
        fast = false;
        break;
      }
      const v = fracDigits <= 0 ? mantissa : mantissa / POW10[fracDigits];
      vals[k] = neg ? -v : v;
      if (k < 5) {
        if (p >= end || buf[p] !== COMMA) {
          fast = false;
          break;
        }
        p++;
      } else if (p < end) {
        const b = buf[p];
        if (b === LF) p++;
        else if (b === CR && (p + 1 === end || buf[p + 1] === LF)) p += 2;
        else fast = false;
      }
    }
    if (!fast) p = slowRow(buf, lineStart, end, fail);

    const t = vals[0];
    const o = vals[1];
    const h = vals[2];
    const l = vals[3];
    const c = vals[4];
    const v = vals[5];

    // ---- row checks, cheapest first ----
    if (!(t > prevTs)) {
      fail(`ts ${lineFields(buf, lineStart, end)[0]} is not after the previous row's ${prevTs} (rows must be strictly increasing)`);
    }
    if (!Number.isInteger(t) || t < 0) fail(`ts ${lineFields(buf, lineStart, end)[0]} is not a whole number of ms`);
    if (tfMs !== 0 && t - floorTo(t, tfMs) !== 0) fail(`ts ${t} is not aligned to ${tf} (not a multiple of ${tfMs} ms)`);
    if (!(o > 0 && h > 0 && l > 0 && c > 0)) {
      const k = !(o > 0) ? 1 : !(h > 0) ? 2 : !(l > 0) ? 3 : 4;
      fail(`${FIELD_NAMES[k]} ${lineFields(buf, lineStart, end)[k]} is not positive (prices must be > 0)`);
    }
    if (!(v >= 0)) fail(`volume ${lineFields(buf, lineStart, end)[5]} is negative (volume must be >= 0)`);
    if (h < o || h < c) {
      const f = lineFields(buf, lineStart, end);
      const k = h < o ? 1 : 4;
      fail(`high ${f[2]} is below ${FIELD_NAMES[k]} ${f[k]} (high must be >= max(open, close))`);
    }
    if (l > o || l > c) {
      const f = lineFields(buf, lineStart, end);
      const k = l > o ? 1 : 4;
      fail(`low ${f[3]} is above ${FIELD_NAMES[k]} ${f[k]} (low must be <= min(open, close))`);
    }

    if (n === cap) {
      cap *= 2;
      ts = grown(ts, cap);
      open = grown(open, cap);
      high = grown(high, cap);
      low = grown(low, cap);
      close = grown(close, cap);
      volume = grown(volume, cap);
    }
    ts[n] = t;
    open[n] = o;
    high[n] = h;
    low[n] = l;
    close[n] = c;
    volume[n] = v;
    prevTs = t;
    n++;
    line++;
  }

  if (n === 0) throw new DataError(`${file}: no candle rows after the header`);

  const resolvedTf = verifyTimeframe(ts, n, file, tf, opts.tfSource ?? 'the caller');
  return {
    symbol: opts.symbol,
    tf: resolvedTf,
    length: n,
    ts: ts.subarray(0, n),
    open: open.subarray(0, n),
    high: high.subarray(0, n),
    low: low.subarray(0, n),
    close: close.subarray(0, n),
    volume: volume.subarray(0, n),
  };
}

/** Rows expected after `p`: the bytes left over the first row's length, with a quarter of slack. */
function initialCapacity(buf: Uint8Array, p: number, end: number): number {
  const first = buf.indexOf(LF, p);
  const rowBytes = first === -1 || first >= end ? end - p : first - p + 1;
  return Math.max(16, Math.ceil((end - p) / Math.max(12, rowBytes * 0.75)));
}

function grown(a: Float64Array<ArrayBuffer>, cap: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

/**
 * The data's timeframe is its smallest step between rows (gaps only make steps larger).
 * A declared timeframe must equal it; without one, it is inferred and the alignment checked here.
 */
function verifyTimeframe(ts: Float64Array, n: number, file: string, tf: Timeframe | undefined, source: string): Timeframe {
  let step = Infinity;
  for (let i = 1; i < n; i++) {
    const d = ts[i] - ts[i - 1];
    if (d < step) step = d;
  }
  if (tf !== undefined) {
    if (n > 1 && step !== TF_MS[tf]) {
      throw new DataError(
        `${file}: ${source} says ${tf} but the smallest step between rows is ${describeStep(step)}`,
      );
    }
    return tf;
  }
  if (n < 2) throw new DataError(`${file}: cannot infer the timeframe from a single row; name the file <SYMBOL>-<TF>.csv`);
  const inferred = TIMEFRAMES.find((x) => TF_MS[x] === step);
  if (inferred === undefined) {
    throw new DataError(`${file}: the smallest step between rows is ${describeStep(step)}, not one of ${TIMEFRAMES.join(', ')}`);
  }
  const ms = TF_MS[inferred];
  for (let i = 0; i < n; i++) {
    if (ts[i] - floorTo(ts[i], ms) !== 0) {
      throw new DataError(`${file} row ${i + 2}: ts ${ts[i]} is not aligned to ${inferred} (not a multiple of ${ms} ms)`);
    }
  }
  return inferred;
}

function describeStep(ms: number): string {
  const tf = TIMEFRAMES.find((x) => TF_MS[x] === ms);
  return tf ? `${tf} (${ms} ms)` : `${ms} ms`;
}
