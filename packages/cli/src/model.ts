// Encoder checkpoints: the encoder's state_dict under PyTorch names (so torch.nn.Sequential of the
// same layers loads it) plus, in the safetensors metadata, the spec that rebuilds the encoder.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { ContrastiveError, convNet, convNet28, lenet, lenet28, mlp, readSafetensors, saveSafetensors, type Module } from 'contrastive';

export interface EncoderSpec {
  /** mlp: mlp(sizes); conv: lenet28 (2 conv blocks + Linear); gap: convNet28 (global average pool) */
  kind: 'mlp' | 'conv' | 'gap';
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
  /** 'vectors': the encoder takes table rows (`input` is [1, 1, D]); absent: images */
  data?: 'vectors';
  /** vectors: the per-column mean and std the rows are standardized with before the encoder */
  standardize?: { mean: number[]; std: number[] };
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
};

export function buildEncoder(spec: EncoderSpec, seed: number): Module {
  if (spec.kind === 'mlp') return mlp(spec.sizes!, { seed, batchNorm: true });
  if (spec.data === 'vectors') throw new ContrastiveError('INVALID_ARGUMENT', `--encoder ${spec.kind} is an image CNN; the data are vectors (use --encoder mlp)`);
  if (spec.input.join() === '1,28,28') {
    if (spec.kind === 'conv') return lenet28({ seed, widths: spec.widths as [number, number], dim: spec.outDim, bnRelu: spec.bnRelu === true });
    return convNet28({ seed, widths: spec.widths });
  }
  if (spec.kind === 'conv') return lenet({ input: spec.input, seed, widths: spec.widths as [number, number], dim: spec.outDim, bnRelu: spec.bnRelu === true });
  return convNet({ input: spec.input, seed, widths: spec.widths });
}

export function defaultSpec(kind: string, input: [number, number, number], widthList?: string): EncoderSpec {
  const size = input[0] * input[1] * input[2];
  if (kind === 'mlp') return { kind, input, sizes: [size, 512, 256], outDim: 256 };
  if (kind === 'conv' || kind === 'gap') {
    const side = Math.max(input[1], input[2]);
    // gap: 3 blocks up to 32x32, 4 up to 64x64, 5 above (convNet's default), so the last block sees <= 8x8 maps
    const gap = side <= 32 ? [32, 64, 128] : side <= 64 ? [32, 64, 128, 256] : [32, 64, 128, 256, 256];
    const widths = widthList === undefined ? (kind === 'conv' ? [32, 64] : gap) : widthList.split(',').map(Number);
    if (widths.length < 1 || widths.some((w) => !Number.isInteger(w) || w < 1) || (kind === 'conv' && widths.length !== 2)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `--widths must be ${kind === 'conv' ? 'two' : ''} positive integers separated by commas, got ${widthList}`);
    }
    return kind === 'conv' ? { kind, input, widths, outDim: 256, bnRelu: true } : { kind, input, widths, outDim: widths[widths.length - 1] };
  }
  throw new ContrastiveError('INVALID_ARGUMENT', `--encoder must be mlp, conv or gap, got ${kind}`);
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
