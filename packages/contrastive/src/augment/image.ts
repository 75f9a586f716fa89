// Image batches: the one layout every augmentation works in (float32 NCHW, values in [0, 1]),
// and the conversion from what images arrive as (IDX bytes, canvas ImageData, decoded PNGs).
import { ContrastiveError } from '../errors.js';
import { callKernel, checkStatus } from '../runtime/kernel.js';
import { f32 } from '../runtime/memory.js';

/** n images, float32, NCHW (image, channel, row, column), values in [0, 1]: what an encoder eats. */
export interface ImageBatch {
  data: Float32Array;
  n: number;
  channels: 1 | 3;
  height: number;
  width: number;
}

/**
 * Images as they arrive: channels last (HWC per image, images one after another), uint8 (0..255)
 * or float32 (already in [0, 1]). 4 channels (RGBA, as canvas `ImageData`) drop the alpha.
 * `channels` defaults to data.length / (n * height * width); `n` defaults to 1.
 */
export interface HwcImages {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  height: number;
  width: number;
  channels?: 1 | 3 | 4;
  n?: number;
}

/** The shape of one image of a batch. */
export interface ImageShape {
  channels: 1 | 3;
  height: number;
  width: number;
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

export const shapeOf = (x: ImageBatch): ImageShape => ({ channels: x.channels, height: x.height, width: x.width });
export const imageLen = (s: ImageShape) => s.channels * s.height * s.width;

/** Checks an ImageBatch argument (shape, length, finite values). */
export function checkBatch(x: ImageBatch, name: string, op: string): ImageBatch {
  checkBatchShape(x, name, op);
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) throw nonFinite(op, name, v, i);
  }
  return x;
}

/** The NON_FINITE error of an ImageBatch value (the same message whichever check finds it). */
export function nonFinite(op: string, name: string, v: number, i: number): ContrastiveError {
  return new ContrastiveError('NON_FINITE', `${op}: ${name} has ${v} at index ${i}; every value must be finite`);
}

/**
 * {@link checkBatch} without the values: for callers that copy the data into wasm memory and check
 * it there with `ct_first_nonfinite` (SIMD; the JS loop cost ~0.4 ms per 256 MNIST digits).
 */
export function checkBatchShape(x: ImageBatch, name: string, op: string): ImageBatch {
  if (x === null || typeof x !== 'object' || !(x.data instanceof Float32Array)) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${op}: ${name} must be an ImageBatch { data: Float32Array, n, channels, height, width } (use toImageBatch for HWC or uint8 images)`,
    );
  }
  if (!isPosInt(x.n) || !isPosInt(x.height) || !isPosInt(x.width)) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${op}: ${name}.n, .height and .width must be positive integers, got n=${String(x.n)}, height=${String(x.height)}, width=${String(x.width)}`,
    );
  }
  if (x.channels !== 1 && x.channels !== 3) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name}.channels must be 1 or 3, got ${String(x.channels)}`);
  }
  const want = x.n * x.channels * x.height * x.width;
  if (x.data.length !== want) {
    throw new ContrastiveError(
      'SHAPE_MISMATCH',
      `${op}: ${name}.data has ${x.data.length} values, expected n * channels * height * width = ${x.n} * ${x.channels} * ${x.height} * ${x.width} = ${want}`,
    );
  }
  return x;
}

/** HWC uint8/float32 images (1, 3 or 4 channels) to a float32 NCHW ImageBatch in [0, 1]. */
export function toImageBatch(images: HwcImages): ImageBatch {
  const OP = 'toImageBatch';
  const src = images;
  if (src === null || typeof src !== 'object') throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: images must be { data, height, width, channels?, n? }`);
  const { data, height, width } = src;
  const n = src.n ?? 1;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Float32Array)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: images.data must be a Uint8Array, Uint8ClampedArray or Float32Array`);
  }
  if (!isPosInt(n) || !isPosInt(height) || !isPosInt(width)) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${OP}: n, height and width must be positive integers, got n=${String(n)}, height=${String(height)}, width=${String(width)}`,
    );
  }
  const px = n * height * width;
  const c = src.channels ?? data.length / px;
  if (c !== 1 && c !== 3 && c !== 4) {
    throw new ContrastiveError(
      'SHAPE_MISMATCH',
      `${OP}: images.data has ${data.length} values for ${n} images of ${height}x${width}: ${c} channels per pixel, expected 1, 3 or 4`,
    );
  }
  if (data.length !== px * c) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${OP}: images.data has ${data.length} values, expected n * height * width * channels = ${px * c}`);
  }
  const isU8 = !(data instanceof Float32Array);
  if (!isU8) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v - v !== 0) throw new ContrastiveError('NON_FINITE', `${OP}: images.data has ${v} at index ${i}; every value must be finite`);
    }
  }
  const cOut = c === 4 ? 3 : c;
  const inBytes = data.length * (isU8 ? 1 : 4);
  const {
    k,
    p: [ip, op],
  } = callKernel(OP, [inBytes, 4 * px * cOut]);
  new Uint8Array(k.memory.buffer, ip, inBytes).set(new Uint8Array(data.buffer, data.byteOffset, inBytes));
  checkStatus(OP, k.ct_aug_from_hwc(ip, isU8 ? 1 : 0, n, height, width, c, op));
  return { data: f32(k, op, px * cOut).slice(), n, channels: cOut as 1 | 3, height, width };
}
