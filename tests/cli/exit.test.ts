// exitWhenFlushed: a finished command exits at once with its code, and nothing it wrote is lost.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const EXIT = resolve(__dirname, '../../src/cli/exit.ts');

describe('exitWhenFlushed', () => {
  it('exits with the code after everything written to stdout and stderr reached the pipes', () => {
    // More than a pipe holds (64 KiB): the reader must still get every byte.
    const script = `const { exitWhenFlushed } = await import(${JSON.stringify(EXIT)});
      process.stdout.write('o'.repeat(4 << 20));
      process.stderr.write('e'.repeat(1 << 20));
      setInterval(() => {}, 1000); // a handle that would keep the process alive
      exitWhenFlushed(3);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('o'.repeat(4 << 20));
    expect(r.stderr).toBe('e'.repeat(1 << 20));
  });
});
