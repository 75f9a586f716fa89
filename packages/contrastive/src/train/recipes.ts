// The training recipes, one per encoder network, under the one name the CLI (`--encoder`), the
// playground and the docs use for it; and the encoder spec saved beside the weights, from which
// the same network is rebuilt.
import { smallGrayscale } from '../augment/presets.js';
import type { Pipeline } from '../augment/compose.js';
import { ContrastiveError } from '../errors.js';
import { SPEC_KEY } from '../io/model.js';
import { readSafetensors, saveSafetensors } from '../io/safetensors.js';
import { moduleSpec } from '../nn/spec.js';
import type { Module } from '../nn/module.js';
import { convNet, convNet28, lenet, lenet28, mlp } from '../nn/presets.js';
import { resnet18, resnet18Cifar, resnet34, resnetSmall } from '../nn/resnet.js';
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
export const RECIPES: Readonly<Record<EncoderSpec['kind'], Readonly<Recipe>>> = {
  // SimCLR's CIFAR-10 setting with Adam (Chen et al. 2020, appendix B.9: tau 0.5; crops from 0.2 of the area)
  resnet: { epochs: 10, batchSize: 256, lr: 1e-3, weightDecay: 1e-6, schedule: 'cosine', temperature: 0.5, cropScale: [0.2, 1] },
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
  /** mlp, conv, gap (encoderSpec), or resnet (a ResNet named by `arch`) */
  kind: EncoderName | 'resnet';
  /** resnet: one of RESNET_ARCHS */
  arch?: string;
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
  /** 'vectors': the encoder takes table rows (`input` is [1, 1, D]); absent: images */
  data?: 'vectors';
  /** vectors: the per-column mean and std the rows are standardized with before the encoder */
  standardize?: { mean: number[]; std: number[] };
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

/** The ResNets an encoder spec can name, with the images each expects at least. */
export const RESNET_ARCHS = {
  resnet18: { make: resnet18, minSide: 32, outDim: 512 },
  'resnet18-cifar': { make: resnet18Cifar, minSide: 8, outDim: 512 },
  resnet34: { make: resnet34, minSide: 32, outDim: 512 },
  'resnet-small': { make: resnetSmall, minSide: 8, outDim: 256 },
} as const;

/** The spec of ResNet `arch` (a key of RESNET_ARCHS) for images of `input`: its pooled features are the embedding. */
export function resnetEncoderSpec(arch: string, input: [number, number, number]): EncoderSpec {
  const a = (RESNET_ARCHS as Record<string, { outDim: number }>)[arch];
  if (!a) throw new ContrastiveError('INVALID_ARGUMENT', `resnetEncoderSpec: arch must be one of ${Object.keys(RESNET_ARCHS).join(', ')}, got ${String(arch)}`);
  return { kind: 'resnet', arch, input, outDim: a.outDim };
}

function buildResnet(spec: EncoderSpec, seed: number): Module {
  const a = (RESNET_ARCHS as Record<string, (typeof RESNET_ARCHS)[keyof typeof RESNET_ARCHS]>)[spec.arch ?? ''];
  if (!a) throw new ContrastiveError('INVALID_ARGUMENT', `buildEncoder: unknown ResNet ${String(spec.arch)} (known: ${Object.keys(RESNET_ARCHS).join(', ')})`);
  const [c, h, w] = spec.input;
  if (h < a.minSide || w < a.minSide)
    throw new ContrastiveError('INVALID_ARGUMENT', `buildEncoder: ${spec.arch} needs images of at least ${a.minSide}x${a.minSide}, the data is ${h}x${w}`);
  // no classifier ('fc' is an Identity); flattened rows are read as [c, h, w] images
  return a.make({ numClasses: 0, inChannels: c, inputShape: [c, h, w], seed });
}

/** The encoder that `spec` describes, initialized from `seed`. */
export function buildEncoder(spec: EncoderSpec, seed: number): Module {
  if (spec.kind === 'resnet') return buildResnet(spec, seed);
  if (spec.kind === 'mlp') return mlp(spec.sizes!, { seed, batchNorm: true });
  if (spec.data === 'vectors')
    throw new ContrastiveError('INVALID_ARGUMENT', `buildEncoder: encoder ${spec.kind} is an image CNN; the data are vectors (use mlp)`);
  if (spec.input.join() === '1,28,28') {
    if (spec.kind === 'conv') return lenet28({ seed, widths: spec.widths as [number, number], dim: spec.outDim, bnRelu: spec.bnRelu === true });
    return convNet28({ seed, widths: spec.widths });
  }
  if (spec.kind === 'conv') return lenet({ input: spec.input, seed, widths: spec.widths as [number, number], dim: spec.outDim, bnRelu: spec.bnRelu === true });
  return convNet({ input: spec.input, seed, widths: spec.widths });
}

/** The `format` metadata of an encoder file: safetensors weights plus the spec that rebuilds the network. */
export const ENCODER_FORMAT = 'contrastive-encoder-1';

/**
 * An encoder as the bytes of a safetensors file: its state_dict under PyTorch names (so
 * torch.nn.Sequential of the same layers loads it) and, in the metadata, `spec` and `info`
 * (anything JSON, e.g. how it was trained). `contrastive train` writes these files.
 */
export function encoderToSafetensors(encoder: Module, spec: EncoderSpec, info: Record<string, unknown> = {}): Uint8Array {
  // SPEC_KEY: the layer-level architecture too, so loadModel() and other tools rebuild it without this spec
  return saveSafetensors(encoder.stateDict(), {
    format: ENCODER_FORMAT,
    spec: JSON.stringify(spec),
    info: JSON.stringify(info),
    [SPEC_KEY]: JSON.stringify(moduleSpec(encoder)),
  });
}

/** The encoder (and its spec and info) of an encoder file's bytes; `name` is the file's name, for errors. */
export function encoderFromSafetensors(bytes: Uint8Array, name = 'file'): { encoder: Module; spec: EncoderSpec; info: Record<string, unknown> } {
  const { tensors, metadata } = readSafetensors(bytes);
  if (metadata.format !== ENCODER_FORMAT || !metadata.spec) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${name} is a safetensors file but not an encoder from \`contrastive train\` (no encoder spec in its metadata)`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(metadata.spec);
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${name}: the encoder spec in its metadata is not valid JSON (${(e as Error).message})`);
  }
  const spec = checkEncoderSpec(raw, name);
  // the spec is compared with the tensors before anything is allocated: an edited spec cannot
  // make us build a network larger than the file, and a mismatch names the first tensor that differs
  const want = encoderStateShapes(spec) ?? new Map<string, number[]>();
  for (const [tensor, shape] of want) {
    const t = tensors[tensor];
    if (!t && tensor.endsWith('num_batches_tracked')) continue; // may be absent, as loadStateDict allows
    if (!t) throw new ContrastiveError('SHAPE_MISMATCH', `${name}: the spec's ${spec.kind} encoder has a tensor ${tensor}, the file does not`);
    if (t.shape.join() !== shape.join()) {
      throw new ContrastiveError(
        'SHAPE_MISMATCH',
        `${name}: tensor ${tensor} has shape [${t.shape.join(', ')}], the spec's ${spec.kind} encoder needs [${shape.join(', ')}]`,
      );
    }
  }
  const extra = want.size ? Object.keys(tensors).find((k) => !want.has(k)) : undefined;
  if (extra !== undefined) throw new ContrastiveError('SHAPE_MISMATCH', `${name}: tensor ${extra} is not part of the spec's ${spec.kind} encoder`);
  let info: Record<string, unknown> = {};
  try {
    info = metadata.info ? (JSON.parse(metadata.info) as Record<string, unknown>) : {};
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${name}: the info in its metadata is not valid JSON (${(e as Error).message})`);
  }
  const encoder = buildEncoder(spec, 0);
  try {
    encoder.loadStateDict(tensors);
  } catch (e) {
    encoder.free();
    throw e;
  }
  return { encoder, spec, info };
}

/** Limits of a spec read from a file (far above any encoder the CLI trains). */
const MAX_WIDTH = 65_536;
const MAX_INPUT = 1 << 24;

/** A spec from a file, checked field by field; the error names the field, what it must be and what it is. */
export function checkEncoderSpec(raw: unknown, path: string): EncoderSpec {
  const fail = (why: string) => new ContrastiveError('INVALID_ARGUMENT', `${path}: invalid encoder spec: ${why}`);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw fail('it must be an object');
  const r = raw as Record<string, unknown>;
  const ints = (v: unknown, name: string, min: number, max: number, len?: [number, number]): number[] => {
    if (!Array.isArray(v) || (len && (v.length < len[0] || v.length > len[1])) || v.some((x) => !Number.isInteger(x) || x < 1 || x > max)) {
      throw fail(
        `${name} must be ${len ? `${len[0] === len[1] ? len[0] : `${len[0]} to ${len[1]}`} ` : ''}integers from ${min} to ${max}, got ${JSON.stringify(v)}`,
      );
    }
    return v as number[];
  };
  if (r.kind !== 'mlp' && r.kind !== 'conv' && r.kind !== 'gap' && r.kind !== 'resnet')
    throw fail(`kind must be mlp, conv, gap or resnet, got ${JSON.stringify(r.kind)}`);
  const input = ints(r.input, 'input', 1, 4096, [3, 3]) as [number, number, number];
  if (input[0] * input[1] * input[2] > MAX_INPUT) throw fail(`input ${input.join('x')} is larger than ${MAX_INPUT} values`);
  if (r.kind === 'resnet') {
    // a ResNet's size is set by its arch, not by the spec's numbers; loadStateDict then checks every tensor
    if (typeof r.arch !== 'string' || !Object.hasOwn(RESNET_ARCHS, r.arch))
      throw fail(`arch must be one of ${Object.keys(RESNET_ARCHS).join(', ')}, got ${JSON.stringify(r.arch)}`);
    return resnetEncoderSpec(r.arch, input);
  }
  if (!Number.isInteger(r.outDim) || (r.outDim as number) < 1 || (r.outDim as number) > MAX_WIDTH)
    throw fail(`outDim must be an integer from 1 to ${MAX_WIDTH}, got ${JSON.stringify(r.outDim)}`);
  const outDim = r.outDim as number;
  if (r.kind === 'mlp') {
    const sizes = ints(r.sizes, 'sizes', 1, MAX_INPUT, [2, 64]);
    if (sizes[0] !== input[0] * input[1] * input[2])
      throw fail(`sizes[0] = ${sizes[0]} must equal the input size ${input.join('x')} = ${input[0] * input[1] * input[2]}`);
    if (sizes.slice(1).some((x) => x > MAX_WIDTH)) throw fail(`hidden and output sizes must be at most ${MAX_WIDTH}`);
    if (sizes[sizes.length - 1] !== outDim) throw fail(`outDim ${outDim} must equal the last size ${sizes[sizes.length - 1]}`);
    if (r.data !== undefined && r.data !== 'vectors') throw fail(`data must be "vectors" or absent, got ${JSON.stringify(r.data)}`);
    let standardize: EncoderSpec['standardize'];
    if (r.standardize !== undefined) {
      const st = r.standardize as { mean?: unknown; std?: unknown };
      const ok = (v: unknown, pos: boolean) =>
        Array.isArray(v) && v.length === sizes[0] && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!pos || x > 0));
      if (st === null || typeof st !== 'object' || !ok(st.mean, false) || !ok(st.std, true))
        throw fail(`standardize must hold mean and std (std > 0), ${sizes[0]} finite numbers each`);
      standardize = { mean: st.mean as number[], std: st.std as number[] };
    }
    return { kind: 'mlp', input, sizes, outDim, ...(r.data === 'vectors' ? { data: 'vectors' as const } : {}), ...(standardize ? { standardize } : {}) };
  }
  if (input[0] !== 1 && input[0] !== 3) throw fail(`a ${r.kind} encoder takes 1- or 3-channel images, the spec says ${input.join('x')}`);
  if (r.kind === 'conv' && (input[1] < 4 || input[2] < 4)) throw fail(`a conv encoder takes images of at least 4x4, the spec says ${input.join('x')}`);
  if (r.kind === 'conv') {
    const widths = ints(r.widths, 'widths', 1, 4096, [2, 2]);
    if (r.bnRelu !== undefined && typeof r.bnRelu !== 'boolean') throw fail(`bnRelu must be true or false, got ${JSON.stringify(r.bnRelu)}`);
    return { kind: 'conv', input, widths, outDim, ...(r.bnRelu === undefined ? {} : { bnRelu: r.bnRelu as boolean }) };
  }
  const widths = ints(r.widths, 'widths', 1, 4096, [1, 8]);
  if (Math.min(input[1], input[2]) < 2 ** (widths.length - 1))
    throw fail(`${widths.length} blocks halve the image ${widths.length - 1} times; ${input[1]}x${input[2]} is too small`);
  if (widths[widths.length - 1] !== outDim) throw fail(`outDim ${outDim} must equal the last width ${widths[widths.length - 1]}`);
  return { kind: 'gap', input, widths, outDim };
}

/** The state_dict names and shapes of the encoder a spec builds (the layouts of mlp, lenet28 and convNet28). */
export function encoderStateShapes(spec: EncoderSpec): Map<string, number[]> | undefined {
  if (spec.kind === 'resnet') return undefined; // fixed by its arch: loadStateDict checks names and shapes
  const m = new Map<string, number[]>();
  const bn = (i: number, c: number) => {
    for (const n of ['weight', 'bias', 'running_mean', 'running_var']) m.set(`${i}.${n}`, [c]);
    m.set(`${i}.num_batches_tracked`, []);
  };
  if (spec.kind === 'mlp') {
    const s = spec.sizes!;
    let i = 0;
    for (let l = 0; l + 1 < s.length; l++) {
      m.set(`${i}.weight`, [s[l + 1], s[l]]);
      m.set(`${i}.bias`, [s[l + 1]]);
      i++;
      if (l + 2 < s.length) {
        bn(i, s[l + 1]);
        i += 2; // BatchNorm1d, ReLU
      }
    }
    return m;
  }
  const w = spec.widths!;
  if (spec.kind === 'conv') {
    m.set('1.weight', [w[0], spec.input[0], 3, 3]);
    bn(2, w[0]);
    m.set('5.weight', [w[1], w[0], 3, 3]);
    bn(6, w[1]);
    m.set('10.weight', [spec.outDim, w[1] * Math.floor(spec.input[1] / 4) * Math.floor(spec.input[2] / 4)]);
    m.set('10.bias', [spec.outDim]);
    if (spec.bnRelu) bn(11, spec.outDim);
    return m;
  }
  let i = 1;
  let c = spec.input[0];
  w.forEach((width, l) => {
    m.set(`${i}.weight`, [width, c, 3, 3]);
    bn(i + 1, width);
    i += l + 1 < w.length ? 4 : 3;
    c = width;
  });
  return m;
}
