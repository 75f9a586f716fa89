// Output files of the command line: checked for writability before the long work starts,
// written atomically (a temporary file beside the target, fsync'd, renamed over it, then the
// folder fsync'd so the rename itself survives a power cut), and the temporary files of a run
// that was killed (`<name>.tmp-<pid>-<n>`, their process gone) removed at the next run.
import { constants } from 'node:fs';
import { access, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ContrastiveError } from 'contrastive';

let serial = 0;
const tmpName = (path: string) => `${path}.tmp-${process.pid}-${Date.now().toString(36)}${(serial++).toString(36)}`;
const TMP = /\.tmp-(\d+)-[0-9a-z]+$/;

const reason = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

async function fsyncDir(dir: string): Promise<void> {
  let h: Awaited<ReturnType<typeof open>> | undefined;
  try {
    h = await open(dir, 'r');
    await h.sync();
  } catch {
    // some file systems refuse fsync on a directory: the rename is still atomic there
  } finally {
    await h?.close();
  }
}

/** Writes bytes to path atomically: absent, the old file or the complete new one, whenever the process dies. */
export async function atomicWrite(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = tmpName(path);
  try {
    const h = await open(tmp, 'wx', 0o644);
    try {
      await h.writeFile(bytes);
      await h.sync();
    } finally {
      await h.close();
    }
    await rename(tmp, path);
    await fsyncDir(dirname(resolve(path)));
  } catch (e) {
    await rm(tmp, { force: true });
    throw new ContrastiveError('INVALID_ARGUMENT', `cannot write ${path}: ${reason(e)}`);
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `<path>.tmp-<pid>-*` files left by runs whose process no longer exists; returns their names. */
export async function cleanStaleTemps(path: string): Promise<string[]> {
  const dir = dirname(resolve(path));
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    if (!n.startsWith(`${base}.tmp-`)) continue;
    const m = TMP.exec(n);
    if (!m || alive(Number(m[1]))) continue;
    try {
      await unlink(join(dir, n));
      removed.push(n);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

/**
 * Checks, before any long work, that each output can be written: its folder exists and takes a
 * file (a probe is written, synced and removed), and the path is not a folder. Stale temporary
 * files of killed runs are removed first.
 */
export async function prepareOutputs(paths: string[]): Promise<void> {
  for (const path of paths) {
    await cleanStaleTemps(path);
    const dir = dirname(resolve(path));
    try {
      await access(dir, constants.W_OK);
    } catch (e) {
      throw new ContrastiveError('INVALID_ARGUMENT', `cannot write ${path}: its folder ${dir} is not writable (${reason(e)})`);
    }
    try {
      if ((await stat(path)).isDirectory()) throw new ContrastiveError('INVALID_ARGUMENT', `cannot write ${path}: it is a folder`);
    } catch (e) {
      if (e instanceof ContrastiveError) throw e;
    }
    const probe = tmpName(path);
    try {
      const h = await open(probe, 'wx', 0o644);
      try {
        await h.writeFile(new Uint8Array(4096));
        await h.sync();
      } finally {
        await h.close();
      }
    } catch (e) {
      throw new ContrastiveError('INVALID_ARGUMENT', `cannot write ${path}: ${reason(e)}`);
    } finally {
      await rm(probe, { force: true });
    }
  }
}
