// One process per data directory. PGlite has no cross-process lock (two processes can open the
// same directory and corrupt it), and the write journal must have a single drainer.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirInUseError extends Error {
  /** Printed as one line by the CLI. */
  readonly userFacing = true;
  constructor(readonly dir: string, readonly pid: number) {
    super(`data directory ${dir} is in use by process ${pid} (DATA_DIR); stop it or use another DATA_DIR`);
    this.name = 'DataDirInUseError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Creates `dir/smc.lock` holding our pid; returns its release function. A lock left by a dead
 * process is taken over. `shownDir` is how the directory is named in the error (as configured).
 */
export function lockDataDir(dir: string, shownDir = dir): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'smc.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (readPid(file) === process.pid) {
          try { unlinkSync(file); } catch { /* already gone */ }
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = readPid(file);
      if (pid !== null && alive(pid)) throw new DataDirInUseError(shownDir, pid);
      // Stale (dead pid) or half-written lock: remove it and try again.
      try { unlinkSync(file); } catch { /* another process removed it first */ }
    }
  }
  throw new Error(`could not lock data directory ${shownDir}: ${file} keeps reappearing`);
}
