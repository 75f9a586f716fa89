// Encoder checkpoints: the encoder's state_dict under PyTorch names (so torch.nn.Sequential of the
// same layers loads it) plus, in the safetensors metadata, the spec that rebuilds the encoder.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { ContrastiveError, convNet28, lenet28, mlp, readSafetensors, saveSafetensors, type Module } from 'contrastive';
import { buildResnet, isResnet, resnetSpec, RESNETS } from './resnet.js';

export interface EncoderSpec {
  /** mlp: mlp(sizes); conv: lenet28 (2 conv blocks + Linear); gap: convNet28 (global average pool) */
  kind: 'mlp' | 'conv' | 'gap' | 'resnet';
  /** resnet: which one (resnet.ts RESNETS) */
  arch?: string;
  /** input size: channels x height x width (the encoder takes flattened rows) */
  input: [number, number, number];
  /** mlp: layer sizes, first = input size */
  sizes?: number[];
  /** conv: block widths */
  widths?: number[];
  /** conv: BatchNorm1d + ReLU after the Linear (lenet28's `bnRelu`); absent in encoders saved before it existed */
  bnRelu?: boolean;
  /** size of the embedding */
  outDim: number;
}

/**
 * The training recipe of each encoder (docs/training.md, section 2): `epochs`, AdamW at `lr` with
 * `weightDecay`, `schedule` cosine (linear warmup over 10% of the steps, then cosine to 0) or
 * constant, NT-Xent at `temperature`, and the area range `cropScale` of the small-gray preset's
 * random resized crop. The MLP's was chosen in issue #6 and keeps the 10 epochs; the CNN's
 * 20 epochs and milder crops were chosen by cross-validation on the training digits
 * (scripts/experiments/README.md).
 */
export const RECIPES: Record<EncoderSpec['kind'], {
  epochs: number; lr: number; weightDecay: number; schedule: 'cosine' | 'constant'; temperature: number; cropScale: [number, number];
}> = {
  mlp: { epochs: 10, lr: 1e-3, weightDecay: 0, schedule: 'constant', temperature: 0.1, cropScale: [0.3, 1] },
  conv: { epochs: 20, lr: 2e-3, weightDecay: 1e-4, schedule: 'cosine', temperature: 0.2, cropScale: [0.5, 1] },
  gap: { epochs: 10, lr: 2e-3, weightDecay: 1e-4, schedule: 'cosine', temperature: 0.2, cropScale: [0.3, 1] },
  // SimCLR's CIFAR-10 setting with Adam (Chen et al. 2020, appendix B.9: tau 0.5; crops from 0.2 of the area)
  resnet: { epochs: 10, lr: 1e-3, weightDecay: 1e-6, schedule: 'cosine', temperature: 0.5, cropScale: [0.2, 1] },
};

export function buildEncoder(spec: EncoderSpec, seed: number): Module {
  if (spec.kind === 'resnet') return buildResnet(spec, seed);
  if (spec.kind === 'mlp') return mlp(spec.sizes!, { seed, batchNorm: true });
  if (spec.input.join() !== '1,28,28') {
    throw new ContrastiveError('INVALID_ARGUMENT', `--encoder ${spec.kind} is a 28x28 grayscale CNN; the images are ${spec.input.join('x')} (use --encoder mlp)`);
  }
  if (spec.kind === 'conv') return lenet28({ seed, widths: spec.widths as [number, number], dim: spec.outDim, bnRelu: spec.bnRelu === true });
  return convNet28({ seed, widths: spec.widths });
}

export function defaultSpec(kind: string, input: [number, number, number], widthList?: string): EncoderSpec {
  const size = input[0] * input[1] * input[2];
  if (isResnet(kind)) return resnetSpec(kind, input);
  if (kind === 'mlp') return { kind, input, sizes: [size, 512, 256], outDim: 256 };
  if (kind === 'conv' || kind === 'gap') {
    const widths = widthList === undefined ? (kind === 'conv' ? [32, 64] : [32, 64, 128]) : widthList.split(',').map(Number);
    if (widths.length < 1 || widths.some((w) => !Number.isInteger(w) || w < 1) || (kind === 'conv' && widths.length !== 2)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `--widths must be ${kind === 'conv' ? 'two' : ''} positive integers separated by commas, got ${widthList}`);
    }
    return kind === 'conv' ? { kind, input, widths, outDim: 256, bnRelu: true } : { kind, input, widths, outDim: widths[widths.length - 1] };
  }
  throw new ContrastiveError('INVALID_ARGUMENT', `--encoder must be mlp, conv, gap or ${Object.keys(RESNETS).join(', ')}, got ${kind}`);
}

/** Writes bytes to path atomically: a temporary file in the same folder, then rename. */
export async function atomicWrite(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new ContrastiveError('INVALID_ARGUMENT', `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export async function saveEncoder(path: string, encoder: Module, spec: EncoderSpec, info: Record<string, unknown>): Promise<void> {
  const meta = { format: 'contrastive-encoder-1', spec: JSON.stringify(spec), info: JSON.stringify(info) };
  await atomicWrite(path, saveSafetensors(encoder.stateDict(), meta));
}

export async function loadEncoder(path: string): Promise<{ encoder: Module; spec: EncoderSpec }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `cannot read model ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { tensors, metadata } = readSafetensors(bytes);
  if (metadata.format !== 'contrastive-encoder-1' || !metadata.spec) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${path} is a safetensors file but not an encoder from \`contrastive train\` (no encoder spec in its metadata)`);
  }
  const spec = JSON.parse(metadata.spec) as EncoderSpec;
  const encoder = buildEncoder(spec, 0);
  encoder.loadStateDict(tensors);
  return { encoder, spec };
}
