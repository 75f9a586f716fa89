// A model file: safetensors whose tensors are the state_dict under PyTorch names and whose
// metadata carries the architecture (nn/spec.ts), so one call rebuilds the model anywhere.
import { ContrastiveError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { buildModule, moduleSpec, type ModuleSpec, specStateSize } from '../nn/spec.js';
// the text modules' architectures register themselves with the codecs
import '../text/spec.js';
import { readSafetensors, saveSafetensors } from './safetensors.js';

/** The metadata key under which a model file keeps its architecture (JSON of a ModuleSpec). */
export const SPEC_KEY = 'contrastive.spec';
/** The metadata key of the format version. */
export const FORMAT_KEY = 'contrastive.format';
const FORMAT = 'contrastive-model-1';

/**
 * Serializes a model: its state_dict (PyTorch names) and its architecture, plus any string
 * metadata of yours. `loadModel` rebuilds it; PyTorch's `safetensors.torch.load_file` reads the
 * tensors.
 */
export function saveModel(model: Module, metadata: Record<string, string> = {}): Uint8Array {
  const spec = moduleSpec(model);
  if (metadata === null || typeof metadata !== 'object') throw new ContrastiveError('INVALID_ARGUMENT', 'saveModel: metadata must be an object of strings');
  return saveSafetensors(model.stateDict(), { ...metadata, [FORMAT_KEY]: FORMAT, [SPEC_KEY]: JSON.stringify(spec) });
}

/** The architecture stored in a model file (without building it). */
export function readModelSpec(bytes: Uint8Array): { spec: ModuleSpec; metadata: Record<string, string> } {
  const { metadata } = readSafetensors(bytes);
  return { spec: parseSpec(metadata), metadata };
}

function parseSpec(metadata: Record<string, string>): ModuleSpec {
  const raw = metadata[SPEC_KEY];
  if (raw === undefined) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `loadModel: the file has no architecture (no "${SPEC_KEY}" metadata); it is a plain state_dict: build the model yourself and call loadStateDict(loadSafetensors(bytes))`,
    );
  }
  try {
    return JSON.parse(raw) as ModuleSpec;
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `loadModel: the "${SPEC_KEY}" metadata is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Rebuilds a model saved by `saveModel`: the architecture from the file's metadata, then its
 * weights (strict: every name and shape must match, else a ContrastiveError and nothing is built).
 */
export function loadModel(bytes: Uint8Array): Module {
  const { tensors, metadata } = readSafetensors(bytes);
  const spec = parseSpec(metadata);
  // a spec is checked against the tensors it came with before anything is allocated
  let held = 0;
  for (const t of Object.values(tensors)) held += t.data.length;
  const needs = specStateSize(spec);
  if (needs > held) {
    throw new ContrastiveError(
      'SHAPE_MISMATCH',
      `loadModel: the architecture needs at least ${needs} floats of weights, the file holds ${held} (an edited or mismatched file)`,
    );
  }
  const model = buildModule(spec);
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    model.free();
    throw e;
  }
  return model;
}
