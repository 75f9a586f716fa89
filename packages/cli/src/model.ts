// Encoder checkpoints: the encoder's state_dict under PyTorch names (so torch.nn.Sequential of the
// same layers loads it) plus, in the safetensors metadata, the spec that rebuilds the encoder.
import { readFile } from 'node:fs/promises';
import { ContrastiveError, convNet28, lenet28, mlp, moduleSpec, readSafetensors, saveSafetensors, SPEC_KEY, type Module } from 'contrastive';
import { atomicWrite } from './output.js';

export { atomicWrite };

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
}

/**
 * The training recipe of each encoder (docs/training.md, section 2): `epochs`, AdamW at `lr` with
 * `weightDecay`, `schedule` cosine (linear warmup over 10% of the steps, then cosine to 0) or
 * constant, NT-Xent at `temperature`, and the area range `cropScale` of the small-gray preset's
 * random resized crop. The MLP's was chosen in issue #6 and keeps the issue's 10 epochs; the CNN's
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
  if (spec.input.join() !== '1,28,28') {
    throw new ContrastiveError('INVALID_ARGUMENT', `--encoder ${spec.kind} is a 28x28 grayscale CNN; the images are ${spec.input.join('x')} (use --encoder mlp)`);
  }
  if (spec.kind === 'conv') return lenet28({ seed, widths: spec.widths as [number, number], dim: spec.outDim, bnRelu: spec.bnRelu === true });
  return convNet28({ seed, widths: spec.widths });
}

export function defaultSpec(kind: string, input: [number, number, number], widthList?: string): EncoderSpec {
  const size = input[0] * input[1] * input[2];
  if (kind === 'mlp') return { kind, input, sizes: [size, 512, 256], outDim: 256 };
  if (kind === 'conv' || kind === 'gap') {
    const widths = widthList === undefined ? (kind === 'conv' ? [32, 64] : [32, 64, 128]) : widthList.split(',').map(Number);
    if (widths.length < 1 || widths.some((w) => !Number.isInteger(w) || w < 1) || (kind === 'conv' && widths.length !== 2)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `--widths must be ${kind === 'conv' ? 'two' : ''} positive integers separated by commas, got ${widthList}`);
    }
    return kind === 'conv' ? { kind, input, widths, outDim: 256, bnRelu: true } : { kind, input, widths, outDim: widths[widths.length - 1] };
  }
  throw new ContrastiveError('INVALID_ARGUMENT', `--encoder must be mlp, conv or gap, got ${kind}`);
}

export async function saveEncoder(path: string, encoder: Module, spec: EncoderSpec, info: Record<string, unknown>): Promise<void> {
  // SPEC_KEY: the layer-level architecture, so loadModel() and other tools rebuild it without the CLI
  const meta = { format: 'contrastive-encoder-1', spec: JSON.stringify(spec), info: JSON.stringify(info), [SPEC_KEY]: JSON.stringify(moduleSpec(encoder)) };
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
  let raw: unknown;
  try {
    raw = JSON.parse(metadata.spec);
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${path}: the encoder spec in its metadata is not valid JSON (${(e as Error).message})`);
  }
  const spec = checkSpec(raw, path);
  // the spec is compared with the tensors before anything is allocated: an edited spec cannot
  // make us build a network larger than the file, and a mismatch names the first tensor that differs
  const want = stateShapes(spec);
  for (const [name, shape] of want) {
    const t = tensors[name];
    if (!t) throw new ContrastiveError('SHAPE_MISMATCH', `${path}: the spec's ${spec.kind} encoder has a tensor ${name}, the file does not`);
    if (t.shape.join() !== shape.join()) {
      throw new ContrastiveError('SHAPE_MISMATCH', `${path}: tensor ${name} has shape [${t.shape.join(', ')}], the spec's ${spec.kind} encoder needs [${shape.join(', ')}]`);
    }
  }
  const extra = Object.keys(tensors).find((k) => !want.has(k));
  if (extra !== undefined) throw new ContrastiveError('SHAPE_MISMATCH', `${path}: tensor ${extra} is not part of the spec's ${spec.kind} encoder`);
  const encoder = buildEncoder(spec, 0);
  encoder.loadStateDict(tensors);
  return { encoder, spec };
}

/** Limits of a spec read from a file (far above any encoder the CLI trains). */
const MAX_WIDTH = 65_536;
const MAX_INPUT = 1 << 24;

/** A spec from a file, checked field by field; the error names the field, what it must be and what it is. */
export function checkSpec(raw: unknown, path: string): EncoderSpec {
  const fail = (why: string) => new ContrastiveError('INVALID_ARGUMENT', `${path}: invalid encoder spec: ${why}`);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw fail('it must be an object');
  const r = raw as Record<string, unknown>;
  const ints = (v: unknown, name: string, min: number, max: number, len?: [number, number]): number[] => {
    if (!Array.isArray(v) || (len && (v.length < len[0] || v.length > len[1])) || v.some((x) => !Number.isInteger(x) || x < 1 || x > max)) {
      throw fail(`${name} must be ${len ? `${len[0] === len[1] ? len[0] : `${len[0]} to ${len[1]}`} ` : ''}integers from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return v as number[];
  };
  if (r.kind !== 'mlp' && r.kind !== 'conv' && r.kind !== 'gap') throw fail(`kind must be mlp, conv or gap, got ${JSON.stringify(r.kind)}`);
  const input = ints(r.input, 'input', 1, 4096, [3, 3]) as [number, number, number];
  if (input[0] * input[1] * input[2] > MAX_INPUT) throw fail(`input ${input.join('x')} is larger than ${MAX_INPUT} values`);
  if (!Number.isInteger(r.outDim) || (r.outDim as number) < 1 || (r.outDim as number) > MAX_WIDTH) throw fail(`outDim must be an integer from 1 to ${MAX_WIDTH}, got ${JSON.stringify(r.outDim)}`);
  const outDim = r.outDim as number;
  if (r.kind === 'mlp') {
    const sizes = ints(r.sizes, 'sizes', 1, MAX_INPUT, [2, 64]);
    if (sizes[0] !== input[0] * input[1] * input[2]) throw fail(`sizes[0] = ${sizes[0]} must equal the input size ${input.join('x')} = ${input[0] * input[1] * input[2]}`);
    if (sizes.slice(1).some((x) => x > MAX_WIDTH)) throw fail(`hidden and output sizes must be at most ${MAX_WIDTH}`);
    if (sizes[sizes.length - 1] !== outDim) throw fail(`outDim ${outDim} must equal the last size ${sizes[sizes.length - 1]}`);
    return { kind: 'mlp', input, sizes, outDim };
  }
  if (input.join() !== '1,28,28') throw fail(`a ${r.kind} encoder takes 1x28x28 images, the spec says ${input.join('x')}`);
  if (r.kind === 'conv') {
    const widths = ints(r.widths, 'widths', 1, 4096, [2, 2]);
    if (r.bnRelu !== undefined && typeof r.bnRelu !== 'boolean') throw fail(`bnRelu must be true or false, got ${JSON.stringify(r.bnRelu)}`);
    return { kind: 'conv', input, widths, outDim, ...(r.bnRelu === undefined ? {} : { bnRelu: r.bnRelu as boolean }) };
  }
  const widths = ints(r.widths, 'widths', 1, 4096, [1, 8]);
  if (widths[widths.length - 1] !== outDim) throw fail(`outDim ${outDim} must equal the last width ${widths[widths.length - 1]}`);
  return { kind: 'gap', input, widths, outDim };
}

/** The state_dict names and shapes of the encoder a spec builds (the layouts of mlp, lenet28 and convNet28). */
export function stateShapes(spec: EncoderSpec): Map<string, number[]> {
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
    m.set('1.weight', [w[0], 1, 3, 3]);
    bn(2, w[0]);
    m.set('5.weight', [w[1], w[0], 3, 3]);
    bn(6, w[1]);
    m.set('10.weight', [spec.outDim, w[1] * 49]);
    m.set('10.bias', [spec.outDim]);
    if (spec.bnRelu) bn(11, spec.outDim);
    return m;
  }
  let i = 1;
  let c = 1;
  w.forEach((width, l) => {
    m.set(`${i}.weight`, [width, c, 3, 3]);
    bn(i + 1, width);
    i += l + 1 < w.length ? 4 : 3;
    c = width;
  });
  return m;
}
