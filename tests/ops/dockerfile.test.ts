// Docker does not run on this machine, so the Dockerfile is checked for what can go wrong without
// building it: sources it copies that do not exist or are excluded by .dockerignore, the runtime
// stage's user/command/signals, and the HEALTHCHECK command, which is run against a real server.
import { describe, expect, it } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const root = join(import.meta.dirname, '..', '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

interface Instr { op: string; args: string; stage: string }

/** Dockerfile instructions (continuations joined, comments dropped) with the stage they belong to. */
function instructions(): Instr[] {
  const joined = read('Dockerfile').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ');
  const out: Instr[] = [];
  let stage = '';
  for (const line of joined.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = /^([A-Z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`unparsed Dockerfile line: ${line}`);
    if (m[1] === 'FROM') stage = /\bAS\s+(\S+)/i.exec(m[2])?.[1] ?? '';
    out.push({ op: m[1], args: m[2], stage });
  }
  return out;
}

/** True when .dockerignore keeps `path` out of the build context (the subset of syntax we use). */
function ignored(path: string): boolean {
  let out = false;
  for (const raw of read('.dockerignore').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const pat = (negate ? line.slice(1) : line).replace(/^\/|\/$/g, '').replace(/^\*\*\//, '');
    const re = new RegExp(`^(.*/)?${pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
    if (re.test(path)) out = !negate;
  }
  return out;
}

const all = instructions();
const runtime = all.filter((i) => i.stage === 'runtime');

describe('Dockerfile', () => {
  it('builds every stage on node:20-slim', () => {
    const arg = /NODE_IMAGE=(\S+)/.exec(all.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE'))?.args ?? '')?.[1];
    const froms = all.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0].replace('${NODE_IMAGE}', arg ?? '?'));
    expect(froms).toEqual(['node:20-slim', 'node:20-slim', 'node:20-slim']);
    expect(all.at(-1)?.stage).toBe('runtime');
  });

  it('copies only paths that exist and that .dockerignore lets into the context', () => {
    const sources = all
      .filter((i) => i.op === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1))
      .filter((s) => s !== '.');
    expect(sources.length).toBeGreaterThan(4);
    for (const s of sources) {
      expect(`${s} exists=${existsSync(join(root, s))}`).toBe(`${s} exists=true`);
      expect(`${s} ignored=${ignored(s)}`).toBe(`${s} ignored=false`);
    }
  });

  it('sends the build stage everything tsc -p tsconfig.build.json needs, and no secrets or local state', () => {
    const build = JSON.parse(read('tsconfig.build.json')) as { include: string[]; extends: string };
    for (const p of [...build.include, 'tsconfig.build.json', build.extends.replace(/^\.\//, ''), 'package.json', 'package-lock.json']) {
      expect(`${p} ignored=${ignored(p)}`).toBe(`${p} ignored=false`);
    }
    for (const p of ['.env', '.env.production', 'node_modules', 'data', 'dist', '.git']) expect(`${p} ignored=${ignored(p)}`).toBe(`${p} ignored=true`);
    expect(ignored('.env.example')).toBe(false);
  });

  it('installs production dependencies only, without the CUDA download, and prunes onnxruntime to the target arch', () => {
    const deps = all.filter((i) => i.stage === 'deps');
    const run = deps.filter((i) => i.op === 'RUN').map((i) => i.args).join(' ');
    expect(run).toMatch(/npm ci --omit=dev/);
    expect(run).toMatch(/prune-onnxruntime\.sh node_modules \$TARGETARCH/);
    expect(deps.some((i) => i.op === 'ARG' && i.args === 'TARGETARCH')).toBe(true);
    for (const stage of ['build', 'deps']) {
      expect(all.some((i) => i.stage === stage && i.op === 'ENV' && /ONNXRUNTIME_NODE_INSTALL=skip/.test(i.args))).toBe(true);
    }
    expect(runtime.some((i) => i.op === 'COPY' && /--from=deps \/app\/node_modules/.test(i.args))).toBe(true);
  });

  it('runs `npm start` as an unprivileged user in exec form, with SIGTERM and DATA_DIR on /data', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: { start: string } };
    const cmd = JSON.parse(runtime.find((i) => i.op === 'CMD')!.args) as string[];
    expect(cmd.join(' ')).toBe(pkg.scripts.start);
    expect(runtime.filter((i) => i.op === 'USER').at(-1)?.args).toBe('node');
    expect(runtime.find((i) => i.op === 'STOPSIGNAL')?.args).toBe('SIGTERM');
    const env = runtime.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(/NODE_ENV=production/);
    expect(env).toMatch(/DATA_DIR=\/data/);
    expect(runtime.find((i) => i.op === 'VOLUME')?.args).toBe('["/data"]');
    expect(JSON.parse(runtime.find((i) => i.op === 'ENTRYPOINT')!.args)).toEqual(['smc-entrypoint']);
  });

  describe('HEALTHCHECK command', () => {
    const hc = runtime.find((i) => i.op === 'HEALTHCHECK')!;
    const argv = JSON.parse(hc.args.slice(hc.args.indexOf('CMD') + 3).trim()) as string[];

    const runCheck = (port: number) => new Promise<number>((resolve) => {
      const child = spawn(process.execPath, argv.slice(1), { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
      child.on('exit', (code) => resolve(code ?? -1));
    });
    const serve = (status: number) => new Promise<Server>((resolve) => {
      const s = createServer((req, res) => {
        res.writeHead(req.url === '/health' ? status : 404, { 'content-type': 'application/json' });
        res.end('{}');
      });
      s.listen(0, '127.0.0.1', () => resolve(s));
    });

    it('is node (slim images have no curl)', () => expect(argv[0]).toBe('node'));

    it('passes on 200 and fails on 503 and when nothing listens', async () => {
      for (const [status, want] of [[200, 0], [503, 1]] as const) {
        const s = await serve(status);
        const port = (s.address() as AddressInfo).port;
        expect(`${status} -> ${await runCheck(port)}`).toBe(`${status} -> ${want}`);
        await new Promise((r) => s.close(r));
        if (status === 503) expect(await runCheck(port)).toBe(1);
      }
    });
  });
});
