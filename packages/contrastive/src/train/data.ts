import { toFloat32 } from '../validate.js';
import { twoViewsOf, type Pipeline } from '../augment/compose.js';
import { toImageBatch, type ImageBatch } from '../augment/image.js';
import type { ImageOp } from '../augment/op.js';
import { ContrastiveError } from '../errors.js';
import type { Tensor } from '../nn/module.js';
import type { TrainData } from './fit.js';

/** What the training and embedding functions accept as a batch of samples. */
export type TensorLike = Tensor | { data: Float32Array | ArrayLike<number>; rows: number; cols: number } | ImageBatch;

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
const EXPECTED = 'a Tensor { data: Float32Array, shape: [n, ...] }, a Matrix { data, rows, cols } or an ImageBatch { data, n, channels, height, width }';

/** What a wrong input is, with a hint where the shape is missing (the tensor contract's wording). */
function describeInput(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x !== 'object') return typeof x;
  if (ArrayBuffer.isView(x)) return `a bare ${x.constructor.name} (wrap it with its shape)`;
  if (Array.isArray(x)) return 'an array (wrap it with its shape)';
  return `an object with keys ${Object.keys(x).slice(0, 6).join(', ') || '(none)'}`;
}

/**
 * The one input contract of `fit`, `embed` and `Trainer.step`: a Tensor (Float32Array data), a
 * Matrix (rows are samples; plain number arrays are converted) or an ImageBatch (NCHW; it becomes n rows of C*H*W values, what the image encoders
 * take), returned as a Tensor with Float32Array data. Anything else
 * is a ContrastiveError saying which shapes are accepted.
 */
export function toTensor(x: unknown, name: string, op: string): Tensor {
  if (x === null || typeof x !== 'object' || ArrayBuffer.isView(x) || Array.isArray(x)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be ${EXPECTED}, got ${describeInput(x)}`);
  }
  const o = x as Record<string, unknown>;
  const data = o.data as ArrayLike<number> | undefined;
  if (data === null || typeof data !== 'object' || typeof data.length !== 'number') {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${op}: ${name}.data must be a Float32Array (or an array of numbers); ${name} must be ${EXPECTED}, got ${describeInput(x)}`,
    );
  }
  let shape: number[];
  if (Array.isArray(o.shape)) {
    shape = o.shape as number[];
    if (shape.length < 1 || !shape.every(isPosInt)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name}.shape must be positive integers [n, ...], got [${shape.map(String).join(', ')}]`);
    }
    // as every layer takes it: a Tensor's data is a Float32Array (a Matrix may hold plain numbers)
    if (!(data instanceof Float32Array)) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${op}: ${name}.data must be a Float32Array in a Tensor { data, shape }, got ${Array.isArray(data) ? 'an array' : data.constructor.name} (a Matrix { data, rows, cols } may hold plain numbers)`,
      );
    }
  } else if ('rows' in o || 'cols' in o) {
    if (!isPosInt(o.rows) || !isPosInt(o.cols)) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${op}: ${name}.rows and ${name}.cols must be positive integers, got rows=${String(o.rows)}, cols=${String(o.cols)}`,
      );
    }
    shape = [o.rows, o.cols];
  } else if ('n' in o && 'height' in o) {
    if (!isPosInt(o.n) || !isPosInt(o.height) || !isPosInt(o.width) || (o.channels !== 1 && o.channels !== 3)) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${op}: ${name} as an ImageBatch needs positive integers n, height, width and channels 1 or 3, got n=${String(o.n)}, channels=${String(o.channels)}, height=${String(o.height)}, width=${String(o.width)}`,
      );
    }
    if (!(data instanceof Float32Array)) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${op}: ${name} is an ImageBatch with ${data.constructor.name} data; ImageBatch data is float32 NCHW in [0, 1] (convert uint8 HWC images with toImageBatch)`,
      );
    }
    // rows of C*H*W values (CHW order), what mlp, lenet and convNet take (they unflatten themselves)
    shape = [o.n, (o.channels as number) * o.height * o.width];
  } else {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be ${EXPECTED}, got ${describeInput(x)}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name}.data has ${data.length} values, its shape [${shape.join(', ')}] needs ${count}`);
  }
  // converted by the one checker: null, booleans, numeric strings and BigInt are refused, not coerced
  return { data: toFloat32(data, `${name}.data`, op), shape };
}

/**
 * Training data from a batch of images and an augmentation pipeline: each step gathers its
 * samples and draws two views seeded by (seed, step, position in the batch), so a run is
 * reproducible and a resumed run sees the same views. Views come out as rows (n x C*H*W), what
 * `mlp` and `convNet28` take.
 */
export function imageTrainData(images: ImageBatch, pipeline: Pipeline | ImageOp, opts: { seed?: number; labels?: ArrayLike<number> } = {}): TrainData {
  return {
    n: images.n,
    labels: opts.labels,
    // the two views are consecutive parts of one array (Trainer.step then skips its concat)
    views(indices, step) {
      const [a, b] = twoViewsOf(images, indices, pipeline, { seed: opts.seed ?? 0, step });
      const rows = (v: ImageBatch) => ({ data: v.data, shape: [v.n, v.channels * v.height * v.width] });
      return [rows(a), rows(b)];
    },
  };
}

/** uint8 images kept as they were decoded (HWC per image, images one after another): 1 byte per value. */
export interface Uint8Images {
  data: Uint8Array;
  n: number;
  height: number;
  width: number;
  channels: 1 | 3;
}

/**
 * {@link imageTrainData} for uint8 images, which stay uint8 (a quarter of the float32 batch's
 * memory: 100,000 RGB images of 64x64 take 1.2 GB): each step converts only its own samples.
 * The views are the same bits as imageTrainData's of toImageBatch(images).
 */
export function uint8ImageTrainData(images: Uint8Images, pipeline: Pipeline | ImageOp, opts: { seed?: number; labels?: ArrayLike<number> } = {}): TrainData {
  const OP = 'uint8ImageTrainData';
  if (images === null || typeof images !== 'object' || !(images.data instanceof Uint8Array)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: images must be { data: Uint8Array (HWC per image), n, height, width, channels }`);
  }
  const per = images.height * images.width * images.channels;
  if (!isPosInt(images.n) || !isPosInt(per) || images.data.length !== images.n * per) {
    throw new ContrastiveError(
      'SHAPE_MISMATCH',
      `${OP}: images.data has ${images.data.length} bytes, expected n * height * width * channels = ${images.n} * ${images.height} * ${images.width} * ${images.channels}`,
    );
  }
  if (opts.labels !== undefined && opts.labels.length !== images.n) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${OP}: labels has ${opts.labels.length} entries, expected ${images.n} (one per image)`);
  }
  let buf = new Uint8Array(0);
  let all: Int32Array | undefined;
  return {
    n: images.n,
    labels: opts.labels,
    views(indices, step) {
      const m = indices.length;
      if (buf.length < m * per) buf = new Uint8Array(m * per);
      for (let i = 0; i < m; i++) {
        const s = indices[i];
        if (!Number.isInteger(s) || s < 0 || s >= images.n) {
          throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: sample index ${String(s)} (at ${i}) is not an integer in [0, ${images.n})`);
        }
        buf.set(images.data.subarray(s * per, (s + 1) * per), i * per);
      }
      const batch = toImageBatch({ data: buf.subarray(0, m * per), n: m, height: images.height, width: images.width, channels: images.channels });
      if (!all || all.length !== m) all = Int32Array.from({ length: m }, (_, i) => i);
      const [a, b] = twoViewsOf(batch, all, pipeline, { seed: opts.seed ?? 0, step });
      const rows = (v: ImageBatch) => ({ data: v.data, shape: [v.n, v.channels * v.height * v.width] });
      return [rows(a), rows(b)];
    },
  };
}

/** The two views of a step (or, for CLIP triplets, three: anchors, positives, negatives), each checked by {@link toTensor}. */
export function toViews(views: unknown, op: string): [Tensor, Tensor] | [Tensor, Tensor, Tensor] {
  if (!Array.isArray(views) || (views.length !== 2 && views.length !== 3)) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${op}: views must be a pair [view1, view2] of tensors with one row per sample (or [anchor, positive, negative] for clip), got ${Array.isArray(views) ? `an array of ${views.length}` : views === null ? 'null' : typeof views}`,
    );
  }
  const two: [Tensor, Tensor] = [toTensor(views[0], 'views[0]', op), toTensor(views[1], 'views[1]', op)];
  return views.length === 3 ? [...two, toTensor(views[2], 'views[2]', op)] : two;
}
