// Runs the `contrastive` command as a child process, for the CLI suites: its exit code and
// output, and the JSON summary of a run that must succeed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The command's entry point (packages/cli/bin/contrastive.mjs). */
export const bin = fileURLToPath(new URL('../../packages/cli/bin/contrastive.mjs', import.meta.url));

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

/**
 * A runner of the command in `cwd`, killed after `timeout` ms; `nodeArgs` go to node before the
 * script (V8 flags).
 */
export function cliIn(cwd: string, timeout: number) {
  return (nodeArgs: string[], ...args: string[]): CliRun => {
    const r = spawnSync(process.execPath, [...nodeArgs, bin, ...args], { cwd, encoding: 'utf8', timeout });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
}

/** The JSON a run printed (`--json`), after checking it exited 0 (its stderr is the message if not). */
export function json(r: CliRun) {
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
}
