// contrastive/tfjs: the losses as TensorFlow.js ops with exact gradients (tf.customGrad), so a
// tf.LayersModel or any TF.js graph trains with NT-Xent, InfoNCE (in-batch, with hard negatives,
// symmetric), SupCon or MNRL (sentence-transformers' MultipleNegativesRankingLoss). `@tensorflow/tfjs-core` is a peer dependency; call `init()` from
// 'contrastive' first.
//
// Cost: each call reads its inputs back to the CPU (dataSync) and uploads the gradients, one
// round trip per loss call. On the cpu and wasm backends that is a copy of the embeddings; on
// WebGL/WebGPU it is a GPU sync, so keep batches large.
import * as tf from '@tensorflow/tfjs-core';
import { ContrastiveError } from './errors.js';
import { infoNce } from './loss/infonce.js';
import { mnrl } from './loss/mnrl.js';
import { ntXent } from './loss/ntxent.js';
import { supCon } from './loss/supcon.js';
import type { Matrix } from './types.js';

const OP = 'contrastive/tfjs';
// tf.customGrad's argument type is not exported by tfjs-core's index
type Grad = Parameters<typeof tf.customGrad>[0];

function options<T extends { temperature: number }>(opts: T, op: string): T {
  if (opts === null || typeof opts !== 'object')
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: opts must be an object with a temperature, got ${String(opts)}`);
  return opts;
}

function matrix(t: tf.Tensor, name: string, op: string): Matrix {
  if (!(t instanceof tf.Tensor)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be a tf.Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.rank !== 2) throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name} must be a rank-2 tensor [rows, dims], got shape [${t.shape.join(', ')}]`);
  if (t.dtype !== 'float32') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be float32, got ${t.dtype}`);
  const [rows, cols] = t.shape as [number, number];
  return { data: t.dataSync() as Float32Array, rows, cols };
}

/** The gradient arrays of one call, uploaded (scaled by dy) only when TF.js asks for them. */
function scaled(dy: tf.Tensor, g: Matrix): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.tensor2d(g.data, [g.rows, g.cols]), dy));
}

/** NT-Xent (SimCLR) of two views as a TF.js scalar; d loss / d a and d b flow back to the graph. */
export function ntXentLoss(a: tf.Tensor2D, b: tf.Tensor2D, opts: { temperature: number }): tf.Scalar {
  const op = `${OP} ntXentLoss`;
  const o = options(opts, op);
  const f = tf.customGrad(((x: tf.Tensor, y: tf.Tensor) => {
    const r = ntXent(matrix(x, 'a', op), matrix(y, 'b', op), { temperature: o.temperature });
    return { value: tf.scalar(r.loss), gradFunc: (dy: tf.Tensor) => [scaled(dy, r.grads.a), scaled(dy, r.grads.b)] };
  }) as unknown as Grad);
  return f(a, b) as tf.Scalar;
}

/**
 * InfoNCE of queries against keys as a TF.js scalar: in-batch negatives, or with `negatives` the
 * given rows only; `symmetric` adds the key-to-query direction (CLIP).
 */
export function infoNceLoss(query: tf.Tensor2D, key: tf.Tensor2D, opts: { temperature: number; symmetric?: boolean; negatives?: tf.Tensor2D }): tf.Scalar {
  const op = `${OP} infoNceLoss`;
  const o = options(opts, op);
  const run = (q: tf.Tensor, k: tf.Tensor, n?: tf.Tensor) =>
    infoNce(matrix(q, 'query', op), matrix(k, 'key', op), {
      temperature: o.temperature,
      symmetric: o.symmetric,
      ...(n ? { negatives: matrix(n, 'negatives', op) } : {}),
    });
  if (o.negatives) {
    const f = tf.customGrad(((q: tf.Tensor, k: tf.Tensor, n: tf.Tensor) => {
      const r = run(q, k, n);
      return { value: tf.scalar(r.loss), gradFunc: (dy: tf.Tensor) => [scaled(dy, r.grads.query), scaled(dy, r.grads.key), scaled(dy, r.grads.negatives!)] };
    }) as unknown as Grad);
    return f(query, key, o.negatives) as tf.Scalar;
  }
  const f = tf.customGrad(((q: tf.Tensor, k: tf.Tensor) => {
    const r = run(q, k);
    return { value: tf.scalar(r.loss), gradFunc: (dy: tf.Tensor) => [scaled(dy, r.grads.query), scaled(dy, r.grads.key)] };
  }) as unknown as Grad);
  return f(query, key) as tf.Scalar;
}

/** Supervised contrastive loss (SupCon) of embeddings with integer labels as a TF.js scalar. */
export function supConLoss(z: tf.Tensor2D, labels: ArrayLike<number> | tf.Tensor1D, opts: { temperature: number }): tf.Scalar {
  const op = `${OP} supConLoss`;
  const o = options(opts, op);
  const ids = labels instanceof tf.Tensor ? Array.from(labels.dataSync()) : labels;
  const f = tf.customGrad(((x: tf.Tensor) => {
    const r = supCon(matrix(x, 'z', op), ids, { temperature: o.temperature });
    return { value: tf.scalar(r.loss), gradFunc: (dy: tf.Tensor) => [scaled(dy, r.grads.z)] };
  }) as unknown as Grad);
  return f(z) as tf.Scalar;
}

export interface MnrlLossOptions {
  /** Cosine similarities are multiplied by this (default 20, sentence-transformers' value). */
  scale?: number;
  /** Hard negatives: any number of [rows, dims] tensors, row i a negative of anchor i (and an in-batch negative of every other). */
  negatives?: tf.Tensor2D[];
  /** Add the positive -> anchor direction (MultipleNegativesSymmetricRankingLoss); the loss is the mean of both. */
  symmetric?: boolean;
}

/**
 * MultipleNegativesRankingLoss of anchors against positives as a TF.js scalar: cross-entropy of
 * scale * cos(anchor_i, c_j) over the documents c = [positives; negatives...], the positive the
 * target; with `symmetric`, the mean with the positive -> anchor direction. d loss / d anchor,
 * positive and each negative flow back to the graph.
 */
export function mnrlLoss(anchor: tf.Tensor2D, positive: tf.Tensor2D, opts: MnrlLossOptions = {}): tf.Scalar {
  const op = `${OP} mnrlLoss`;
  if (opts === null || typeof opts !== 'object') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: opts must be an object, got ${String(opts)}`);
  const negs = opts.negatives ?? [];
  if (!Array.isArray(negs)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: opts.negatives must be an array of tf.Tensor2D`);
  // customGrad calls f(...inputs, save): the inputs are the first 2 + negatives
  const f = tf.customGrad(((...xs: tf.Tensor[]) => {
    const r = mnrl(matrix(xs[0], 'anchor', op), matrix(xs[1], 'positive', op), {
      scale: opts.scale,
      symmetric: opts.symmetric,
      negatives: xs.slice(2, 2 + negs.length).map((n, i) => matrix(n, `negatives[${i}]`, op)),
    });
    return {
      value: tf.scalar(r.loss),
      gradFunc: (dy: tf.Tensor) => [scaled(dy, r.grads.anchor), scaled(dy, r.grads.positive), ...r.grads.negatives.map((g) => scaled(dy, g))],
    };
  }) as unknown as Grad);
  return f(anchor, positive, ...negs) as tf.Scalar;
}
