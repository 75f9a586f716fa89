import { ContrastiveError } from '../errors.js';
import { checkBatchShape, imageLen, type ImageBatch, type ImageShape } from './image.js';
import { checkStatus, prob, runOps, runOpsWith, viewU32, type Buffers, type ImageOp } from './op.js';
import { checkSeed, Rng } from '../rng.js';
import { augmentVectors, isVectorOp, type VectorOp } from './vector.js';
import type { Matrix, MatrixLike } from '../types.js';

/** A sequence of ops run as one pipeline (one copy in, kernels in wasm memory, one copy out). */
export interface Pipeline {
  readonly ops: readonly ImageOp[];
}

type OpOrPipeline = ImageOp | Pipeline;
const isPipeline = (x: OpOrPipeline): x is Pipeline => Array.isArray((x as Pipeline).ops);

function flatten(items: OpOrPipeline[], op: string): ImageOp[] {
  return items.flatMap((x) => {
    if (x !== null && typeof x === 'object' && isPipeline(x)) return [...x.ops];
    if (x === null || typeof x !== 'object' || typeof (x as ImageOp).run !== 'function') {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${op}: every item must be an augmentation (e.g. randomResizedCrop({ size: 32 })) or a pipeline, got ${String(x)}`,
      );
    }
    return [x as ImageOp];
  });
}

/** T.Compose: the ops in order. Nested pipelines are flattened. */
export function compose(...ops: OpOrPipeline[]): Pipeline {
  return { ops: flatten(ops, 'compose') };
}

/**
 * T.RandomApply(ops, p): one draw per image, `rand() <= p` applies all of `ops` (torchvision:
 * `if p < rand(): skip`); otherwise each op gets its identity parameters and draws nothing more.
 */
export function randomApply(p: number, ...ops: OpOrPipeline[]): ImageOp<{ on: boolean; inner: unknown[] }> {
  const OP = 'randomApply';
  const q = prob(p, OP, 0.5);
  const inner = flatten(ops, OP);
  // the inner ops' shapes for input shape s (kept for the last s: a batch asks per image)
  let lastIn: ImageShape | undefined;
  let lastShapes: ImageShape[] = [];
  const shapes = (s: ImageShape) => {
    if (lastIn && lastIn.channels === s.channels && lastIn.height === s.height && lastIn.width === s.width) return lastShapes;
    const out = [s];
    for (const o of inner) out.push(o.outShape(out[out.length - 1]));
    lastIn = { ...s };
    lastShapes = out;
    return out;
  };
  const identity = (s: ImageShape) => {
    const sh = shapes(s);
    return { on: false, inner: inner.map((o, j) => o.identity(sh[j])) };
  };
  // Images the draw skipped stay untouched, as in torchvision. Running the kernels on them with
  // identity parameters would cost (1 - p) of the ops' time (half of a p = 0.5 affine warp), so
  // the applied ones are gathered, transformed and scattered back; unless every inner op skips
  // its identity for free (`noopIdentity`: ColorJitter, RandomGrayscale), or the inner ops change
  // the shape (then every image goes through them, with identity parameters if skipped).
  // the largest image any inner step reads or writes (inner steps may outgrow both ends)
  const maxLen = (s: ImageShape) => {
    const sh = shapes(s);
    return Math.max(...sh.map(imageLen), ...inner.map((o, j) => o.maxImageLen?.(sh[j]) ?? 0));
  };
  const gathers = (s: ImageShape) => {
    const o = shapes(s)[inner.length];
    return !inner.every((op) => op.noopIdentity) && o.channels === s.channels && o.height === s.height && o.width === s.width;
  };
  return {
    name: `randomApply(${inner.map((o) => o.name).join(', ')})`,
    outShape: (s) => shapes(s)[inner.length],
    maxImageLen: maxLen,
    sample(rng, s) {
      if (q < rng.uniform()) return identity(s);
      const sh = shapes(s);
      return { on: true, inner: inner.map((o, j) => o.sample(rng, sh[j])) };
    },
    identity,
    // The inner ops' buffers; when run gathers the applied images (see there), also n u32 (their
    // indices) and a scratch batch for the inner ops to write into.
    paramBytes: (n, s) => {
      const sh = shapes(s);
      const own = inner.flatMap((o, j) => o.paramBytes(n, sh[j]));
      return gathers(s) ? [...own, 4 * n, 4 * n * maxLen(s)] : own;
    },
    run(k, b: Buffers, n, s, params, op) {
      const sh = shapes(s);
      const runInner = (bufs: { src: number; dst: number }, count: number, ps: { inner: unknown[] }[]) => {
        let { src, dst } = bufs;
        let at = 0;
        let swapped = false;
        inner.forEach((o, j) => {
          const m = o.paramBytes(n, sh[j]).length;
          const pp = b.params.slice(at, at + m);
          at += m;
          if (
            o.run(
              k,
              { src, dst, params: pp },
              count,
              sh[j],
              ps.map((p) => p.inner[j]),
              op,
            )
          ) {
            [src, dst] = [dst, src];
            swapped = !swapped;
          }
        });
        return swapped;
      };
      const on: number[] = [];
      params.forEach((p, i) => {
        if (p.on) on.push(i);
      });
      if (on.length === n || !gathers(s)) return runInner(b, n, params);
      if (on.length === 0) return false;
      // src[on[j]] -> dst[j]; the ops turn dst[0..m) into dst or scratch [0..m); back to src[on[j]].
      // 2m image copies; the skipped images are never moved.
      const m = on.length;
      const [idx, scratch] = b.params.slice(b.params.length - 2);
      viewU32(k, idx, m).set(on);
      const len = imageLen(s);
      checkStatus(op, k.ct_aug_move_images(b.src, n, b.dst, n, len, idx, m, 0));
      const inScratch = runInner(
        { src: b.dst, dst: scratch },
        m,
        on.map((i) => params[i]),
      );
      checkStatus(op, k.ct_aug_move_images(inScratch ? scratch : b.dst, m, b.src, n, len, idx, m, 1));
      return false;
    },
  };
}

export interface ViewOptions {
  /** the seed (a non-negative safe integer); default 0 */
  seed?: number;
  /** a step or epoch counter: each value gives fresh views of the same images; default 0 */
  step?: number;
  /** index of the batch's first image in the dataset, so views do not depend on batching; default 0 */
  offset?: number;
}

function streamArgs(opts: ViewOptions, op: string): { seed: number; step: number; offset: number } {
  const seed = checkSeed(opts.seed ?? 0, op);
  const step = opts.step ?? 0;
  const offset = opts.offset ?? 0;
  for (const [name, v] of [
    ['step', step],
    ['offset', offset],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be an integer in [0, 2^32), got ${String(v)}`);
    }
  }
  return { seed, step, offset };
}

/** Draws the parameters of every op for every image: image i uses Rng(seed, [offset + i, view, step]). */
export function sampleParams(pipeline: Pipeline, x: ImageShape & { n: number }, view: number, opts: ViewOptions = {}, op = 'sampleParams'): unknown[][] {
  const { seed, step, offset } = streamArgs(opts, op);
  const params: unknown[][] = pipeline.ops.map(() => new Array<unknown>(x.n));
  // each op's input shape: the same for every image
  const shapes: ImageShape[] = [{ channels: x.channels, height: x.height, width: x.width }];
  for (const o of pipeline.ops) shapes.push(o.outShape(shapes[shapes.length - 1]));
  const ops = pipeline.ops;
  for (let i = 0; i < x.n; i++) {
    const rng = new Rng(seed, [(offset + i) >>> 0, view, step]);
    for (let j = 0; j < ops.length; j++) params[j][i] = ops[j].sample(rng, shapes[j]);
  }
  return params;
}

function asPipeline(p: Pipeline | ImageOp, op: string): Pipeline {
  return p !== null && typeof p === 'object' && isPipeline(p as OpOrPipeline) ? (p as Pipeline) : compose(...flatten([p], op));
}

/** One augmented view of every image (view index `view`, default 0); or of every row of a Matrix with a vector op. */
export function augment(images: ImageBatch, pipeline: Pipeline | ImageOp, opts?: ViewOptions & { view?: number }): ImageBatch;
export function augment(x: MatrixLike, op: VectorOp, opts?: ViewOptions & { view?: number }): Matrix;
export function augment(
  images: ImageBatch | MatrixLike,
  pipeline: Pipeline | ImageOp | VectorOp,
  opts: ViewOptions & { view?: number } = {},
): ImageBatch | Matrix {
  const OP = 'augment';
  const view = opts.view ?? 0;
  if (!Number.isInteger(view) || view < 0 || view > 0xffffffff)
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: view must be an integer in [0, 2^32), got ${String(view)}`);
  if (isVectorOp(pipeline)) return augmentVectors(images as MatrixLike, pipeline, { ...streamArgs(opts, OP), view }, OP);
  checkBatchShape(images as ImageBatch, 'images', OP); // values: in runOps, in wasm memory
  const p = asPipeline(pipeline, OP);
  return runOps(OP, [...p.ops], images as ImageBatch, sampleParams(p, images as ImageBatch, view, opts, OP));
}

/** twoViewsOf's gathered batch, reused from call to call (taken out while a call uses it). */
let gatherBuf = new Float32Array(0);

/**
 * {@link twoViews} of images `indices` of `images`, for training data: the images are gathered
 * once into a reused buffer (not a new batch per step) and both views land in one new array,
 * view 0 then view 1, so a trainer can take the 2n rows without concatenating them. The same bits
 * as `twoViews` of the gathered batch. Indices must be integers in [0, images.n).
 */
export function twoViewsOf(images: ImageBatch, indices: ArrayLike<number>, pipeline: Pipeline | ImageOp, opts: ViewOptions = {}): [ImageBatch, ImageBatch] {
  const OP = 'augment';
  const m = indices.length;
  const shape: ImageShape = { channels: images.channels, height: images.height, width: images.width };
  checkBatchShape(images, 'images', OP);
  if (m < 1) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: no sample indices: a batch needs at least one image`);
  const per = imageLen(shape);
  for (let i = 0; i < m; i++) {
    const s = indices[i];
    if (!Number.isInteger(s) || s < 0 || s >= images.n) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: sample index ${String(s)} (at ${i}) is not an integer in [0, ${images.n})`);
    }
  }
  const p = asPipeline(pipeline, OP);
  let out: ImageShape = shape;
  for (const o of p.ops) out = o.outShape(out);
  const outLen = m * imageLen(out);
  const both = new Float32Array(2 * outLen);
  // gathered once (the dataset's rows are cold in cache), copied into wasm memory per view
  const buf = gatherBuf.length >= m * per ? gatherBuf : new Float32Array(m * per);
  gatherBuf = new Float32Array(0); // a nested call (from an op's code) gets its own
  const batch = buf.subarray(0, m * per);
  for (let i = 0; i < m; i++) batch.set(images.data.subarray(indices[i] * per, (indices[i] + 1) * per), i * per);
  const load = (mem: Float32Array) => mem.set(batch);
  const x = { ...shape, n: m };
  const run = (view: number) => runOpsWith(OP, [...p.ops], m, shape, load, sampleParams(p, x, view, opts, OP), both, view * outLen);
  try {
    return [run(0), run(1)];
  } finally {
    gatherBuf = buf;
  }
}

/**
 * The two views of SimCLR / MoCo: `augment` with view 0 and view 1. The same (seed, step, offset)
 * gives the same views in every runtime (Node, browsers, workers) and for any batch split.
 */
export function twoViews(images: ImageBatch, pipeline: Pipeline | ImageOp, opts?: ViewOptions): [ImageBatch, ImageBatch];
export function twoViews(x: MatrixLike, op: VectorOp, opts?: ViewOptions): [Matrix, Matrix];
export function twoViews(x: ImageBatch | MatrixLike, p: Pipeline | ImageOp | VectorOp, opts: ViewOptions = {}): [ImageBatch | Matrix, ImageBatch | Matrix] {
  const run = augment as (x: unknown, p: unknown, o: ViewOptions & { view: number }) => ImageBatch | Matrix;
  return [run(x, p, { ...opts, view: 0 }), run(x, p, { ...opts, view: 1 })];
}
