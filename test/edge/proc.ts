// Bounded child processes for the edge and consumer tests: every child runs in its own process
// group and the whole group is killed on timeout (or by stop()), so no runtime outlives a test.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PKG_DIR = join(REPO, 'packages/contrastive');

/** A binary from the workspace's node_modules/.bin, or an error saying how to get it. */
export function bin(name: string): string {
  const p = join(REPO, 'node_modules/.bin', name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run \`pnpm install\` at ${REPO}`);
  return p;
}

/** Fails early, with the fix, when the package has not been built. */
export function assertBuilt(pkgDir = PKG_DIR): void {
  const need = ['dist/index.node.js', 'dist/index.workerd.js', 'dist/index.browser.js', 'wasm/contrastive-simd128.wasm', 'wasm/contrastive-relaxed.wasm'];
  const missing = need.filter((f) => !existsSync(join(pkgDir, f)));
  if (missing.length > 0) throw new Error(`${pkgDir} is not built (missing ${missing.join(', ')}): run \`pnpm build\` at ${REPO}`);
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export interface RunOptions {
  cwd?: string;
  /** Added to the environment. */
  env?: NodeJS.ProcessEnv;
  /**
   * Drop what `pnpm exec` and vitest put in the environment (npm_*, pnpm_*, VITEST*, TEST, NODE_ENV=test),
   * so a child npm, pnpm or vite behaves as in a consumer's own shell.
   */
  cleanEnv?: boolean;
  timeoutMs: number;
}

function childEnv(extra: NodeJS.ProcessEnv | undefined, clean: boolean | undefined): NodeJS.ProcessEnv {
  const drop = /^(npm_|pnpm_|vitest|test$|node_env$)/i;
  const base = clean ? Object.fromEntries(Object.entries(process.env).filter(([k]) => !drop.test(k))) : process.env;
  return { ...base, ...extra };
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Runs a command to completion (or kills its process group at timeoutMs). Never rejects. */
export function run(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? REPO,
      env: childEnv(opts.env, opts.cleanEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, opts.timeoutMs);
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      killGroup(child); // grandchildren left in the group
      resolveRun({ code, signal, stdout, stderr, ms: performance.now() - t0, timedOut });
    };
    child.on('error', (e) => {
      stderr += `\nspawn ${cmd}: ${e.message}`;
      done(null, null);
    });
    child.on('close', done);
  });
}

/** A readable account of a run for assertion messages. */
export function explain(cmd: string, r: RunResult): string {
  const how = r.timedOut ? `timed out after ${Math.round(r.ms)} ms (killed)` : `exited with code ${r.code}${r.signal ? ` signal ${r.signal}` : ''}`;
  return `${cmd} ${how}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** Parses the `EDGE_SMOKE {...}` line a smoke run prints. */
export function smokeLine(r: RunResult): Record<string, unknown> | undefined {
  const m = /^EDGE_SMOKE (\{.*\})$/m.exec(r.stdout + '\n' + r.stderr);
  return m ? (JSON.parse(m[1]) as Record<string, unknown>) : undefined;
}

/** A long-running child (e.g. a server) whose process group stop() kills. */
export interface Background {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function start(cmd: string, args: readonly string[], opts: Omit<RunOptions, 'timeoutMs'>): Background {
  const child = spawn(cmd, args, {
    cwd: opts.cwd ?? REPO,
    env: childEnv(opts.env, opts.cleanEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.on('error', (e) => {
    out += `\nspawn ${cmd}: ${e.message}`;
  });
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  return {
    child,
    output: () => out,
    async stop() {
      killGroup(child);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    },
  };
}

/** Polls `url` until it answers 2xx; throws with the server's output if it exits or `ms` pass. */
export async function waitForHttp(url: string, server: Background, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || server.child.exitCode !== null) throw new Error(`the server did not come up on ${url}:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}
