// One process per DATA_DIR: a second one stops with a clear message; a dead holder's lock is taken over.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDataDir, DataDirInUseError } from '../../src/storage/lockfile.js';

const root = mkdtempSync(join(tmpdir(), 'smc-lock-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function start(dataDir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'hold-store.child.ts')], {
    env: { ...process.env, DATA_DIR: dataDir }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => { if (out.includes('READY')) resolve(); });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  const exited = new Promise<{ code: number | null; err: string }>((resolve) => child.on('exit', (code) => resolve({ code, err })));
  return { child, ready, exited };
}

describe('DATA_DIR lockfile', () => {
  it('a second process on the same DATA_DIR refuses with a clear message; a dead holder is taken over', async () => {
    const dataDir = join(root, 'data');
    const a = start(dataDir);
    await a.ready;
    expect(readFileSync(join(dataDir, 'smc.lock'), 'utf8').trim()).toBe(String(a.child.pid));

    const b = start(dataDir);
    b.ready.catch(() => {});
    const { code, err } = await b.exited;
    expect(code).toBe(1);
    expect(err.trim()).toBe(`data directory ${dataDir} is in use by process ${a.child.pid} (DATA_DIR); stop it or use another DATA_DIR`);

    a.child.kill('SIGKILL'); // dies without releasing the lock
    await a.exited;
    expect(existsSync(join(dataDir, 'smc.lock'))).toBe(true);
    const c = start(dataDir);
    await c.ready;
    expect(readFileSync(join(dataDir, 'smc.lock'), 'utf8').trim()).toBe(String(c.child.pid));
    c.child.stdin!.end(); // clean shutdown releases the lock
    expect((await c.exited).code).toBe(0);
    expect(existsSync(join(dataDir, 'smc.lock'))).toBe(false);
  });

  it('names the directory as configured and releases only its own lock', () => {
    const dir = join(root, 'in-process');
    const release = lockDataDir(dir, './data');
    expect(() => lockDataDir(dir, './data')).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir, './data')).toThrow(`data directory ./data is in use by process ${process.pid} (DATA_DIR); stop it or use another DATA_DIR`);
    release();
    writeFileSync(join(dir, 'smc.lock'), 'garbage');
    const again = lockDataDir(dir); // an unreadable lock is stale
    again();
    expect(existsSync(join(dir, 'smc.lock'))).toBe(false);
  });
});
