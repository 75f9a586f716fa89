// Node-only file helpers (imported from index.node.ts only, never from the browser entry).
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { checkpointBytes, restoreCheckpoint, type CheckpointParts } from './checkpoint.js';

/** Writes a checkpoint atomically: a temp file beside `path`, then rename over it. */
export async function saveCheckpoint(path: string, parts: CheckpointParts): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(tmp, checkpointBytes(parts));
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Reads a checkpoint written by saveCheckpoint into the given model (and optimizer); returns `extra`. */
export async function loadCheckpoint(path: string, parts: CheckpointParts): Promise<unknown> {
  return restoreCheckpoint(new Uint8Array(await readFile(path)), parts);
}
