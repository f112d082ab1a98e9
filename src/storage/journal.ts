// Write-ahead journal: every write is appended as one JSON line and fsync'd (in batches: all
// writes that arrive while a sync runs share the next one) BEFORE it is applied to the database.
// The last applied sequence number is kept in `ack`; on restart everything after it is replayed.
// Segments whose entries are all acknowledged are deleted.
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface JournalEntry {
  seq: number;
  op: string;
  args: unknown;
  /** When it was journaled (ISO), for the dead-letter file and diagnostics. */
  at: string;
}

const SEGMENT = /^(\d{12})\.jsonl$/;
const SEGMENT_BYTES = 8 * 1024 * 1024;
/** Top-level record fields that are timestamps; JSON turns them into strings, replay turns them back. */
const DATE_FIELDS = new Set(['entry_time', 'exit_time', 'created_at', 'updated_at', 'expires_at']);

function revive(args: unknown): unknown {
  const one = (r: unknown) => {
    if (r && typeof r === 'object' && !Array.isArray(r)) {
      for (const [k, v] of Object.entries(r)) {
        if (DATE_FIELDS.has(k) && typeof v === 'string') (r as Record<string, unknown>)[k] = new Date(v);
      }
    }
    return r;
  };
  return Array.isArray(args) ? args.map(one) : one(args);
}

/** Parses one journal line; null for a torn last line (the write never completed, nobody was told it had). */
function parseLine(line: string): JournalEntry | null {
  try {
    const e = JSON.parse(line) as JournalEntry;
    if (typeof e.seq !== 'number' || typeof e.op !== 'string') return null;
    e.args = revive(e.args);
    return e;
  } catch {
    return null;
  }
}

export class Journal {
  private seq: number;
  private acked: number;
  private fh: FileHandle | null = null;
  private segment = '';
  private segmentBytes = 0;
  /** Last seq of every closed segment, to delete it once acknowledged. */
  private readonly segmentEnds = new Map<string, number>();
  private batch: { line: string; entry: JournalEntry; resolve: (e: JournalEntry) => void; reject: (e: Error) => void }[] = [];
  private syncing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    readonly dir: string, lastSeq: number, acked: number, private readonly onDurable: (e: JournalEntry) => void,
    private readonly segmentLimit: number,
  ) {
    this.seq = lastSeq;
    this.acked = acked;
  }

  /**
   * Opens the journal in `dir`. `onDurable` receives every entry once it is on disk, in order:
   * first the un-acknowledged tail found on disk (the replay), then each new write.
   */
  static async open(dir: string, onDurable: (e: JournalEntry) => void, opts: { segmentBytes?: number } = {}): Promise<Journal> {
    mkdirSync(dir, { recursive: true });
    const acked = Journal.readAck(dir);
    const tail: JournalEntry[] = [];
    let lastSeq = acked;
    const ends = new Map<string, number>();
    for (const f of readdirSync(dir).filter((n) => SEGMENT.test(n)).sort()) {
      let end = 0;
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        if (!line) continue;
        const e = parseLine(line);
        if (!e) continue;
        end = Math.max(end, e.seq);
        lastSeq = Math.max(lastSeq, e.seq);
        if (e.seq > acked) tail.push(e);
      }
      ends.set(f, end);
    }
    tail.sort((a, b) => a.seq - b.seq);
    const j = new Journal(dir, lastSeq, acked, onDurable, opts.segmentBytes ?? SEGMENT_BYTES);
    for (const [f, end] of ends) j.segmentEnds.set(f, end);
    j.dropAckedSegments();
    for (const e of tail) onDurable(e);
    return j;
  }

  /** Un-acknowledged entries in a journal directory, without opening it (for `smc db status`). */
  static pendingCount(dir: string): number {
    let files: string[];
    try { files = readdirSync(dir).filter((n) => SEGMENT.test(n)); } catch { return 0; }
    const acked = Journal.readAck(dir);
    let n = 0;
    for (const f of files) {
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        const e = line ? parseLine(line) : null;
        if (e && e.seq > acked) n++;
      }
    }
    return n;
  }

  private static readAck(dir: string): number {
    try {
      const n = Number.parseInt(readFileSync(join(dir, 'ack'), 'utf8'), 10);
      return Number.isInteger(n) && n >= 0 ? n : 0;
    } catch {
      return 0;
    }
  }

  /** Appends a write; resolves once it is fsync'd, with the entry as it will be applied. */
  append(op: string, args: unknown): Promise<JournalEntry> {
    if (this.closed) return Promise.reject(new Error('journal is closed'));
    const seq = ++this.seq;
    const line = JSON.stringify({ seq, op, args, at: new Date().toISOString() });
    // What gets applied is what was written: the parsed line, not the caller's (mutable) object.
    const entry = parseLine(line)!;
    return new Promise((resolve, reject) => {
      this.batch.push({ line, entry, resolve, reject });
      if (!this.syncing) this.syncing = this.syncLoop();
    });
  }

  private async syncLoop(): Promise<void> {
    try {
      while (this.batch.length) {
        const batch = this.batch;
        this.batch = [];
        try {
          const text = batch.map((b) => b.line).join('\n') + '\n';
          await this.rotateIfNeeded(batch[0].entry.seq);
          await this.fh!.appendFile(text);
          await this.fh!.datasync();
          this.segmentBytes += Buffer.byteLength(text);
          this.segmentEnds.set(this.segment, batch[batch.length - 1].entry.seq);
        } catch (e) {
          for (const b of batch) b.reject(new Error(`journal write failed: ${(e as Error).message}`));
          continue;
        }
        for (const b of batch) {
          this.onDurable(b.entry);
          b.resolve(b.entry);
        }
      }
    } finally {
      this.syncing = null;
    }
  }

  /** A new segment at start-up (never append after a possibly torn line) and when one grows large. */
  private async rotateIfNeeded(firstSeq: number): Promise<void> {
    if (this.fh && this.segmentBytes < this.segmentLimit) return;
    if (this.fh) await this.fh.close();
    this.segment = `${String(firstSeq).padStart(12, '0')}.jsonl`;
    this.fh = await open(join(this.dir, this.segment), 'a');
    this.segmentBytes = 0;
    // The new file's directory entry must be durable too, or a crash could lose the whole segment.
    const d = await open(this.dir, 'r');
    try { await d.sync(); } finally { await d.close(); }
  }

  /** Marks everything up to `seq` as applied. */
  ack(seq: number): void {
    if (seq <= this.acked) return;
    this.acked = seq;
    const tmp = join(this.dir, 'ack.tmp');
    writeFileSync(tmp, String(seq));
    renameSync(tmp, join(this.dir, 'ack'));
    this.dropAckedSegments();
  }

  private dropAckedSegments(): void {
    for (const [f, end] of this.segmentEnds) {
      if (f !== this.segment && end <= this.acked) {
        try { unlinkSync(join(this.dir, f)); } catch { /* gone */ }
        this.segmentEnds.delete(f);
      }
    }
  }

  /** Keeps a write the database refused for good (bad data), so it is never silently lost. */
  reject(entry: JournalEntry, error: string): void {
    appendFileSync(join(this.dir, 'rejected.jsonl'), JSON.stringify({ ...entry, error }) + '\n');
  }

  get lastAcked(): number { return this.acked; }

  async close(): Promise<void> {
    while (this.syncing) await this.syncing;
    this.closed = true;
    if (this.fh) await this.fh.close();
    this.fh = null;
  }
}
