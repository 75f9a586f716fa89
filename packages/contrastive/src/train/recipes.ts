// The training recipes, one per encoder network, under the one name the CLI (`--encoder`), the
// playground and the docs use for it; and the encoder spec saved beside the weights, from which
// the same network is rebuilt.
import { smallGrayscale } from '../augment/presets.js';
import type { Pipeline } from '../augment/compose.js';
import { ContrastiveError } from '../errors.js';
import { readSafetensors, saveSafetensors } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import { convNet28, lenet28, mlp } from '../nn/presets.js';
import { warmupCosine } from '../optim/schedule.js';

/**
 * The encoder networks by name: `mlp` = `mlp([inputs, 512, 256], { batchNorm: true })`; `conv` =
 * `lenet28({ bnRelu: true })` (2 conv blocks, Linear to 256, BatchNorm1d, ReLU; 28x28x1 input);
 * `gap` = `convNet28()` (3 conv blocks, global average pool; 28x28x1 input).
 */
export type EncoderName = 'mlp' | 'conv' | 'gap';
export const ENCODER_NAMES: readonly EncoderName[] = ['mlp', 'conv', 'gap'];

/**
 * How to train one encoder with SimCLR (docs/training.md, section 2): `epochs` of steps of
 * `batchSize` samples (two views each), AdamW at `lr` with `weightDecay`, the learning rate
 * `schedule` (`cosine`: linear warmup over 10% of the steps, at most 200, then cosine to 0;
 * `constant`), NT-Xent at `temperature`, and the `smallGrayscale` augmentations with the random
 * resized crop's area range `cropScale`.
 */
export interface Recipe {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  schedule: 'cosine' | 'constant';
  temperature: number;
  cropScale: [number, number];
}

/** The recipe of each encoder, as `contrastive train --encoder <name>` runs it. */
export const RECIPES: Readonly<Record<EncoderName, Readonly<Recipe>>> = {
  mlp: { epochs: 10, batchSize: 256, lr: 1e-3, weightDecay: 0, schedule: 'constant', temperature: 0.1, cropScale: [0.3, 1] },
  conv: { epochs: 20, batchSize: 256, lr: 2e-3, weightDecay: 1e-4, schedule: 'cosine', temperature: 0.2, cropScale: [0.5, 1] },
  gap: { epochs: 10, batchSize: 256, lr: 2e-3, weightDecay: 1e-4, schedule: 'cosine', temperature: 0.2, cropScale: [0.3, 1] },
};

/** The learning rate of each step for `totalSteps` steps of `recipe` (its `lr` and `schedule`). */
export function recipeSchedule(recipe: Pick<Recipe, 'lr' | 'schedule'>, totalSteps: number): (step: number) => number {
  if (recipe.schedule === 'constant') return () => recipe.lr;
  return warmupCosine({ baseLr: recipe.lr, warmupSteps: Math.min(Math.round(totalSteps / 10), 200), totalSteps });
}

/** The recipe's augmentations for `size` x `size` grayscale images: `smallGrayscale` with its crop range. */
export function recipeAugmentation(recipe: Pick<Recipe, 'cropScale'>, size = 28): Pipeline {
  return smallGrayscale({ size, scale: [recipe.cropScale[0], recipe.cropScale[1]] });
}

/** What rebuilds an encoder: saved as JSON in the safetensors metadata of `contrastive train`'s output. */
export interface EncoderSpec {
  kind: EncoderName;
  /** input size: channels x height x width (the encoder takes flattened rows) */
  input: [number, number, number];
  /** mlp: layer sizes, first = input size */
  sizes?: number[];
  /** conv, gap: block widths */
  widths?: number[];
  /** conv: BatchNorm1d + ReLU after the Linear (lenet28's `bnRelu`); absent in encoders saved before it existed */
  bnRelu?: boolean;
  /** size of the embedding */
  outDim: number;
}

/**
 * The spec of encoder `kind` for images of `input` = [channels, height, width], with the block
 * `widths` of the conv networks (default conv 32, 64; gap 32, 64, 128).
 */
export function encoderSpec(kind: EncoderName, input: [number, number, number], widths?: number[]): EncoderSpec {
  const size = input[0] * input[1] * input[2];
  if (kind === 'mlp') return { kind, input, sizes: [size, 512, 256], outDim: 256 };
  if (kind === 'conv') {
    const w = widths ?? [32, 64];
    if (w.length !== 2 || w.some((v) => !Number.isInteger(v) || v < 1)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `encoderSpec: conv widths must be two positive integers, got [${w.join(', ')}]`);
    }
    return { kind, input, widths: w, outDim: 256, bnRelu: true };
  }
  if (kind === 'gap') {
    const w = widths ?? [32, 64, 128];
    if (w.length < 1 || w.some((v) => !Number.isInteger(v) || v < 1)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `encoderSpec: gap widths must be positive integers, got [${w.join(', ')}]`);
    }
    return { kind, input, widths: w, outDim: w[w.length - 1] };
  }
  throw new ContrastiveError('INVALID_ARGUMENT', `encoderSpec: kind must be one of ${ENCODER_NAMES.join(', ')}, got ${String(kind)}`);
}

/** The encoder that `spec` describes, initialized from `seed`. */
export function buildEncoder(spec: EncoderSpec, seed: number): Module {
  if (spec.kind === 'mlp') return mlp(spec.sizes!, { seed, batchNorm: true });
  if (spec.input.join() !== '1,28,28') {
    throw new ContrastiveError('INVALID_ARGUMENT', `buildEncoder: encoder ${spec.kind} is a 28x28 grayscale CNN; the images are ${spec.input.join('x')} (use mlp)`);
  }
  if (spec.kind === 'conv') return lenet28({ seed, widths: spec.widths as [number, number], dim: spec.outDim, bnRelu: spec.bnRelu === true });
  return convNet28({ seed, widths: spec.widths });
}

/** The `format` metadata of an encoder file: safetensors weights plus the spec that rebuilds the network. */
export const ENCODER_FORMAT = 'contrastive-encoder-1';

/**
 * An encoder as the bytes of a safetensors file: its state_dict under PyTorch names (so
 * torch.nn.Sequential of the same layers loads it) and, in the metadata, `spec` and `info`
 * (anything JSON, e.g. how it was trained). `contrastive train` writes these files.
 */
export function encoderToSafetensors(encoder: Module, spec: EncoderSpec, info: Record<string, unknown> = {}): Uint8Array {
  return saveSafetensors(encoder.stateDict(), { format: ENCODER_FORMAT, spec: JSON.stringify(spec), info: JSON.stringify(info) });
}

/** The encoder (and its spec and info) of an encoder file's bytes; `name` is the file's name, for errors. */
export function encoderFromSafetensors(bytes: Uint8Array, name = 'file'): { encoder: Module; spec: EncoderSpec; info: Record<string, unknown> } {
  const { tensors, metadata } = readSafetensors(bytes);
  if (metadata.format !== ENCODER_FORMAT || !metadata.spec) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${name} is a safetensors file but not an encoder from \`contrastive train\` (no encoder spec in its metadata)`);
  }
  const spec = JSON.parse(metadata.spec) as EncoderSpec;
  const encoder = buildEncoder(spec, 0);
  encoder.loadStateDict(tensors);
  return { encoder, spec, info: metadata.info ? (JSON.parse(metadata.info) as Record<string, unknown>) : {} };
}
