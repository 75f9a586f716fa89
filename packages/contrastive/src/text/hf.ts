// Hugging Face weights into our modules: the names are already Hugging Face's, so loading is
// matching names (with or without a model prefix such as `bert.`) and reporting the rest.
import { ContrastiveError } from '../errors.js';
import type { Module, StateDict } from '../nn/module.js';

export interface HfLoadOptions {
  /** Throw when a tensor the model needs is absent (default true). With false, it keeps its init. */
  strict?: boolean;
}

export interface HfLoadReport {
  /** Model tensors the file did not have (empty unless strict is false). */
  missing: string[];
  /** File tensors the model has no place for (a pretraining head, an unused pooler), by the file's name. */
  unexpected: string[];
  /** The prefix stripped from the file's names ('' when none). */
  prefix: string;
}

/** Buffers Hugging Face checkpoints may carry that are not parameters here (recomputed: 0, 1, 2, ...). */
const DERIVED = /(^|\.)embeddings\.position_ids$/;
const PREFIXES = ['bert.', 'model.', '0.auto_model.', 'roberta.', 'encoder_model.'];

/**
 * Loads a Hugging Face state_dict (e.g. from `loadSafetensors(model.safetensors)`) into a model
 * built by `bertEncoder(config)`: names as in the file, optionally under a prefix (`bert.`, as
 * BertForMaskedLM saves them). Missing tensors throw a ContrastiveError that names them (unless
 * `strict: false`); tensors the model has no place for are returned in `unexpected`. A shape
 * mismatch names the tensor and both shapes. Nothing is changed when it throws.
 */
export function loadHuggingFace(model: Module, sd: StateDict, opts: HfLoadOptions = {}): HfLoadReport {
  const op = 'loadHuggingFace';
  if (!sd || typeof sd !== 'object') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: state must be a state_dict (name -> { shape, data })`);
  const own = model.stateDict();
  const want = Object.keys(own);
  const names = Object.keys(sd);
  // the prefix under which most of the model's names are found
  let prefix = '';
  let best = want.filter((k) => k in sd).length;
  for (const p of PREFIXES) {
    const hits = want.filter((k) => p + k in sd).length;
    if (hits > best) {
      best = hits;
      prefix = p;
    }
  }
  const missing = want.filter((k) => !(prefix + k in sd));
  const used = new Set(want.map((k) => prefix + k));
  const unexpected = names.filter((k) => !used.has(k) && !DERIVED.test(k));
  if (missing.length && opts.strict !== false) {
    const more = missing.length > 8 ? ` and ${missing.length - 8} more` : '';
    throw new ContrastiveError(
      'SHAPE_MISMATCH',
      `${op}: missing tensor ${missing.slice(0, 8).join(', ')}${more}${prefix ? ` (looked under the prefix '${prefix}')` : ''}`,
    );
  }
  const sub: StateDict = {};
  for (const k of want) sub[k] = sd[prefix + k] ?? own[k];
  model.loadStateDict(sub);
  return { missing, unexpected, prefix };
}
