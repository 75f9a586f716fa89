// Training checkpoints: model state_dict (PyTorch names, loadable by torch as-is after dropping
// the 'optimizer.' keys), optimizer state under 'optimizer.<param>.<slot>', and the scalars that
// make a resumed run continue bit for bit (optimizer steps, lr, dropout RNG counters, user data)
// as JSON in __metadata__. Browser-safe: bytes in, bytes out (io/node.ts writes files).
import { ContrastiveError } from '../errors.js';
import type { Module, StateDict } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { readSafetensors, saveSafetensors } from './safetensors.js';

export interface CheckpointParts {
  model: Module;
  optimizer?: Optimizer;
  /** Any JSON-serializable extra state (epoch, data-order RNG ...). */
  extra?: unknown;
}

const OPT = 'optimizer.';

export function checkpointBytes(parts: CheckpointParts): Uint8Array {
  const sd: StateDict = { ...parts.model.stateDict() };
  const meta: Record<string, string> = { format: 'contrastive-checkpoint-1', rng: JSON.stringify(parts.model.rngState()) };
  if (parts.optimizer) {
    const os = parts.optimizer.stateDict();
    for (const [k, t] of Object.entries(os.tensors)) sd[OPT + k] = t;
    meta.optimizer = JSON.stringify({ type: parts.optimizer.type, ...os.meta });
  }
  if (parts.extra !== undefined) meta.extra = JSON.stringify(parts.extra);
  return saveSafetensors(sd, meta);
}

/** Restores model (strict), optimizer and RNG state; returns `extra`. */
export function restoreCheckpoint(bytes: Uint8Array, parts: CheckpointParts): unknown {
  const { tensors, metadata } = readSafetensors(bytes);
  const model: StateDict = {};
  const opt: StateDict = {};
  for (const [k, t] of Object.entries(tensors)) (k.startsWith(OPT) ? opt : model)[k.startsWith(OPT) ? k.slice(OPT.length) : k] = t;
  parts.model.loadStateDict(model);
  if (metadata.rng) parts.model.setRngState(JSON.parse(metadata.rng));
  if (parts.optimizer) {
    if (!metadata.optimizer) throw new ContrastiveError('INVALID_ARGUMENT', 'restoreCheckpoint: the checkpoint has no optimizer state');
    const m = JSON.parse(metadata.optimizer);
    if (m.type !== parts.optimizer.type) {
      throw new ContrastiveError('INVALID_ARGUMENT', `restoreCheckpoint: the checkpoint holds ${m.type} state, the optimizer is ${parts.optimizer.type}`);
    }
    parts.optimizer.loadStateDict({ tensors: opt, meta: { steps: m.steps, lr: m.lr } });
  }
  return metadata.extra === undefined ? undefined : JSON.parse(metadata.extra);
}
