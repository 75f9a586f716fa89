import { ContrastiveError } from '../errors.js';
import type { CropBox } from './crop.js';
import type { ImageBatch } from './image.js';
import { applyWith, checkStatus, num, pair, prob, viewF32, viewU32, type ImageOp } from './op.js';
import { dexp, dlog, roundHalfEven, type Rng } from '../rng.js';

export interface RandomErasingOptions {
  p?: number;
  /** erased area fraction range; default [0.02, 0.33] */
  scale?: [number, number];
  /** aspect range (h / w here, as torchvision); default [0.3, 3.3] */
  ratio?: [number, number];
  /** fill value (one, or one per channel); default 0 */
  value?: number | number[];
}

const NONE: CropBox = { top: 0, left: 0, height: 0, width: 0 };

/**
 * torchvision 0.14 `RandomErasing.get_params` (after the `rand() < p` draw): up to 10 attempts of
 * area = H W U(scale), aspect = exp(U(log ratio)), h = round(sqrt(area aspect)), w = round(sqrt(area / aspect)),
 * accepted when h < H and w < W, then top = randint(0, H - h), left = randint(0, W - w); else nothing is erased.
 */
export function sampleErasing(rng: Rng, H: number, W: number, scale: [number, number], ratio: [number, number]): CropBox {
  const lr0 = dlog(ratio[0]),
    lr1 = dlog(ratio[1]);
  for (let a = 0; a < 10; a++) {
    const area = H * W * rng.range(scale[0], scale[1]);
    const aspect = dexp(rng.range(lr0, lr1));
    const h = roundHalfEven(Math.sqrt(area * aspect));
    const w = roundHalfEven(Math.sqrt(area / aspect));
    if (!(h < H && w < W)) continue;
    return { top: rng.int(0, H - h), left: rng.int(0, W - w), height: h, width: w };
  }
  return NONE;
}

function eraseOp(name: string, value: number | number[], draw: (rng: Rng, H: number, W: number) => CropBox): ImageOp<CropBox> {
  return {
    name,
    outShape: (s) => s,
    sample: (rng, s) => draw(rng, s.height, s.width),
    identity: () => NONE,
    paramBytes: (n, s) => [16 * n, 4 * s.channels],
    run(k, b, n, s, params, op) {
      const v = typeof value === 'number' ? new Array<number>(s.channels).fill(value) : value;
      if (v.length !== s.channels)
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: value has ${v.length} entries, expected ${s.channels} (one per channel)`);
      const bx = viewU32(k, b.params[0], 4 * n);
      for (let i = 0; i < n; i++) {
        const p = params[i];
        if (![p.top, p.left, p.height, p.width].every((x) => Number.isInteger(x) && x >= 0)) {
          throw new ContrastiveError('INVALID_ARGUMENT', `${op}: box ${JSON.stringify(p)} of image ${i} must hold non-negative integers`);
        }
        bx.set([p.top, p.left, p.height, p.width], 4 * i);
      }
      viewF32(k, b.params[1], s.channels).set(v);
      checkStatus(op, k.ct_aug_erase(b.src, n, s.channels, s.height, s.width, b.params[0], b.params[1]));
      return false;
    },
  };
}

function valueArg(v: unknown, op: string): number | number[] {
  if (v === undefined) return 0;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x))) return v;
  throw new ContrastiveError('INVALID_ARGUMENT', `${op}: value must be a finite number or one per channel, got ${String(v)}`);
}

/** RandomErasing (Zhong et al. 2020; torchvision defaults p 0.5, scale [0.02, 0.33], ratio [0.3, 3.3], value 0). Cutout is its fixed-size cousin. */
export function randomErasing(opts: RandomErasingOptions = {}): ImageOp<CropBox> {
  const OP = 'randomErasing';
  const p = prob(opts.p, OP, 0.5);
  const scale = pair(opts.scale, 'scale', OP, 0, 1, [0.02, 0.33]);
  const ratio = pair(opts.ratio, 'ratio', OP, 1e-6, 1e6, [0.3, 3.3]);
  return eraseOp(OP, valueArg(opts.value, OP), (rng, H, W) => (rng.uniform() < p ? sampleErasing(rng, H, W, scale, ratio) : NONE));
}

/** Cutout (DeVries & Taylor 2017): with probability p a size x size square centred anywhere in the image (clipped) is set to value. */
export function cutout(opts: { size: number; p?: number; value?: number | number[] }): ImageOp<CropBox> {
  const OP = 'cutout';
  const size = num(opts?.size, 'size', OP, 1, 1 << 15);
  const p = prob(opts.p, OP, 1);
  return eraseOp(OP, valueArg(opts.value, OP), (rng, H, W) => {
    if (!(rng.uniform() < p)) return NONE;
    const cy = rng.int(0, H - 1),
      cx = rng.int(0, W - 1);
    const y0 = Math.max(0, cy - Math.floor(size / 2)),
      x0 = Math.max(0, cx - Math.floor(size / 2));
    return { top: y0, left: x0, height: Math.min(H, cy - Math.floor(size / 2) + size) - y0, width: Math.min(W, cx - Math.floor(size / 2) + size) - x0 };
  });
}

/** `F.erase(img, top, left, height, width, value)` (one box, or one per image). */
export function erase(images: ImageBatch, box: CropBox | CropBox[], value: number | number[] = 0): ImageBatch {
  return applyWith(
    'erase',
    eraseOp('erase', valueArg(value, 'erase'), () => NONE),
    images,
    box,
  );
}
