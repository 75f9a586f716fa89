// Checkpoints, one module for both kinds, browser-safe (bytes in, bytes out; io/node.ts writes files):
// * a model checkpoint (checkpointBytes / restoreCheckpoint): the model's state_dict under
//   PyTorch names (loadable by torch as-is after dropping the 'optimizer.' keys), optimizer state
//   under 'optimizer.<param>.<slot>', and as JSON in __metadata__ the scalars that make a resumed
//   run continue bit for bit (optimizer steps, lr, dropout RNG counters, user data);
// * a training-state checkpoint (trainerStateBytes / parseTrainerState): everything a Trainer
//   needs to continue (every model, optimizer moments, RNG counters, MoCo queue, step), what
//   `fit`'s checkpoint callback receives and the CLI's --checkpoint / --resume write and read.
// Restores validate every part first and then apply all of it or nothing.
import { ContrastiveError } from '../errors.js';
import type { Module, StateDict } from '../nn/module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import type { TrainerState } from '../train/trainer.js';
import { checkObject, describe } from '../validate.js';
import { readSafetensors, saveSafetensors } from './safetensors.js';

export interface CheckpointParts {
  model: Module;
  optimizer?: Optimizer;
  /** Any JSON-serializable extra state (epoch, data-order RNG ...). */
  extra?: unknown;
}

const OPT = 'optimizer.';
const MODEL_FORMAT = 'contrastive-checkpoint-1';
/** The __metadata__ `format` of a training-state checkpoint. */
export const TRAIN_STATE_FORMAT = 'contrastive-train-state-1';

function json(text: string | undefined, what: string, op: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the checkpoint's ${what} is not valid JSON (${(e as Error).message})`);
  }
}

function serialize(v: unknown, what: string, op: string): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${what} must be JSON-serializable (${(e as Error).message})`);
  }
  if (s === undefined) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${what} must be JSON-serializable, got ${describe(v)}`);
  return s;
}

/** Splits `optimizer.`-prefixed tensors from the others. */
function split(tensors: StateDict): { rest: StateDict; opt: StateDict } {
  const rest: StateDict = {};
  const opt: StateDict = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (k.startsWith(OPT)) defineEntry(opt, k.slice(OPT.length), t);
    else defineEntry(rest, k, t);
  }
  return { rest, opt };
}

/** Sets an own property even for names like "__proto__". */
function defineEntry<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

export function checkpointBytes(parts: CheckpointParts): Uint8Array {
  const op = 'checkpointBytes';
  checkObject(parts, 'parts', op);
  const sd: StateDict = { ...parts.model.stateDict() };
  const meta: Record<string, string> = { format: MODEL_FORMAT, rng: JSON.stringify(parts.model.rngState()) };
  if (parts.optimizer) {
    const os = parts.optimizer.stateDict();
    for (const [k, t] of Object.entries(os.tensors)) sd[OPT + k] = t;
    meta.optimizer = JSON.stringify({ type: parts.optimizer.type, ...os.meta });
  }
  if (parts.extra !== undefined) meta.extra = serialize(parts.extra, 'extra', op);
  return saveSafetensors(sd, meta);
}

/**
 * Restores model (strict), optimizer and RNG state; returns `extra`. Everything is validated
 * before anything is changed: a refused checkpoint leaves the model and optimizer as they were.
 */
export function restoreCheckpoint(bytes: Uint8Array, parts: CheckpointParts): unknown {
  const op = 'restoreCheckpoint';
  checkObject(parts, 'parts', op);
  const { tensors, metadata } = readSafetensors(bytes);
  if (metadata.format !== undefined && metadata.format !== MODEL_FORMAT) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the file is a ${JSON.stringify(metadata.format)} file, not a model checkpoint (${MODEL_FORMAT})`);
  }
  const { rest, opt } = split(tensors);
  const applyModel = parts.model.checkStateDict(rest, op);
  const rng = json(metadata.rng, 'rng', op);
  const applyRng = rng === undefined ? () => {} : parts.model.checkRngState(rng as Record<string, number>, `${op}: rng`);
  const extra = json(metadata.extra, 'extra', op);
  let applyOpt = () => {};
  if (parts.optimizer) {
    if (metadata.optimizer === undefined) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the checkpoint has no optimizer state`);
    const m = checkObject(json(metadata.optimizer, 'optimizer', op), 'the optimizer metadata', op);
    if (m.type !== parts.optimizer.type) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the checkpoint holds ${describe(m.type)} state, the optimizer is ${parts.optimizer.type}`);
    }
    applyOpt = parts.optimizer.checkStateDict({ tensors: opt, meta: { steps: m.steps, lr: m.lr } as OptimizerState['meta'] }, op);
  } else if (Object.keys(opt).length > 0 && metadata.optimizer === undefined) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: optimizer tensors without optimizer metadata (corrupted checkpoint)`);
  }
  applyModel();
  applyRng();
  applyOpt();
  return extra;
}

/**
 * A Trainer's full state (Trainer.state(), what fit's checkpoint callback gets) as safetensors:
 * the tensors under their state names, the optimizer's under 'optimizer.', and step, optimizer
 * scalars, RNG counters and `info` (strings: e.g. the run's settings, so a resume can check them)
 * in __metadata__.
 */
export function trainerStateBytes(state: TrainerState, info: Record<string, string> = {}): Uint8Array {
  const op = 'trainerStateBytes';
  checkObject(state, 'state', op);
  checkObject(info, 'info', op);
  const sd: StateDict = {};
  for (const [k, t] of Object.entries(state.tensors)) {
    if (k.startsWith(OPT))
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: a state tensor may not be named ${JSON.stringify(k)} (the "optimizer." prefix is reserved)`);
    sd[k] = t;
  }
  for (const [k, t] of Object.entries(state.optimizer.tensors)) sd[OPT + k] = t;
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(info)) {
    if (typeof v !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: info.${k} must be a string, got ${describe(v)}`);
    meta[`info.${k}`] = v;
  }
  meta.format = TRAIN_STATE_FORMAT;
  meta.step = String(state.step);
  meta.optimizer = serialize(state.optimizer.meta, 'the optimizer metadata', op);
  meta.rng = serialize(state.rng, 'the RNG state', op);
  return saveSafetensors(sd, meta);
}

/**
 * Parses trainerStateBytes' output. Checks the format and the scalars' types; the tensors are
 * checked against the Trainer by Trainer.restore (which validates everything before applying).
 */
export function parseTrainerState(bytes: Uint8Array): { state: TrainerState; info: Record<string, string> } {
  const op = 'parseTrainerState';
  const { tensors, metadata } = readSafetensors(bytes);
  if (metadata.format !== TRAIN_STATE_FORMAT) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${op}: not a training-state checkpoint (format ${describe(metadata.format)}, expected ${TRAIN_STATE_FORMAT})`,
    );
  }
  if (metadata.step === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(metadata.step) || !Number.isSafeInteger(Number(metadata.step))) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: step must be a non-negative integer, got ${describe(metadata.step)}`);
  }
  const meta = checkObject(json(metadata.optimizer, 'optimizer', op), 'the optimizer metadata', op);
  const rng = checkObject(json(metadata.rng, 'rng', op), 'the RNG state', op);
  for (const [k, v] of Object.entries(rng)) checkObject(v, `rng.${k}`, op);
  const { rest, opt } = split(tensors);
  const info: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) if (k.startsWith('info.')) info[k.slice(5)] = v;
  const state: TrainerState = {
    step: Number(metadata.step),
    tensors: rest,
    optimizer: { tensors: opt, meta: meta as OptimizerState['meta'] },
    rng: rng as TrainerState['rng'],
  };
  return { state, info };
}
