// One line of a benchmark table: `rows` items processed in `seconds`.
export type BenchRow = { name: string; rows: number; seconds: number; perSecond: number };

export function benchRow(name: string, rows: number, seconds: number): BenchRow {
  return { name, rows, seconds, perSecond: seconds > 0 ? rows / seconds : Infinity };
}

/** Plain-text table of rows, for the console. */
export function formatBenchTable(rows: BenchRow[]): string {
  const w = Math.max(4, ...rows.map((r) => r.name.length));
  const head = `${'name'.padEnd(w)}  ${'rows'.padStart(10)}  ${'seconds'.padStart(8)}  ${'per second'.padStart(12)}`;
  const lines = rows.map(
    (r) =>
      `${r.name.padEnd(w)}  ${String(r.rows || '–').padStart(10)}  ${r.seconds.toFixed(3).padStart(8)}  ${r.rows ? `${(r.perSecond / 1e6).toFixed(2).padStart(10)} M` : '–'.padStart(12)}`,
  );
  return [head, ...lines].join('\n');
}
