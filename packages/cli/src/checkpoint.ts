// `contrastive train --checkpoint F` / `--resume F`: the full training state (every weight,
// AdamW's moments and step counts, BatchNorm statistics, RNG counters, the step) in the
// library's training-state format, with the run's settings beside it so a resume refuses a
// checkpoint of another run instead of silently mixing two.
import { readFile } from 'node:fs/promises';
import { ContrastiveError, parseTrainerState, trainerStateBytes, type Trainer, type TrainerState } from 'contrastive';
import { atomicWrite } from './output.js';

/** The settings that determine a run's trajectory (two runs with equal settings take the same steps). */
export type RunSettings = Record<string, unknown>;

export async function writeTrainState(path: string, state: TrainerState, run: RunSettings): Promise<void> {
  await atomicWrite(path, trainerStateBytes(state, { run: JSON.stringify(run) }));
}

/** Restores `trainer` from a --checkpoint file of the same run; returns the step it continues from. */
export async function resumeTrainer(path: string, trainer: Trainer, run: RunSettings): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `cannot read --resume ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let parsed: ReturnType<typeof parseTrainerState>;
  try {
    parsed = parseTrainerState(bytes);
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `--resume ${path}: ${(e as Error).message}`);
  }
  let saved: RunSettings;
  try {
    saved = JSON.parse(parsed.info.run ?? 'null');
  } catch {
    saved = {};
  }
  if (saved === null || typeof saved !== 'object')
    throw new ContrastiveError('INVALID_ARGUMENT', `--resume ${path}: the checkpoint does not record its run's settings`);
  const diff = Object.keys({ ...saved, ...run }).filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(run[k]));
  if (diff.length) {
    const what = diff.map((k) => `${k}: ${JSON.stringify(saved[k])} in the checkpoint, ${JSON.stringify(run[k])} now`).join('; ');
    throw new ContrastiveError('INVALID_ARGUMENT', `--resume ${path} is a checkpoint of another run (${what}); pass the run's original flags`);
  }
  trainer.restore(parsed.state);
  return parsed.state.step;
}
