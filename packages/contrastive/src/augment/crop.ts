import { ContrastiveError } from '../errors.js';
import type { ImageBatch, ImageShape } from './image.js';
import { applyWith, checkStatus, int, pair, viewU32, type ImageOp } from './op.js';
import { dexp, dlog, roundHalfEven, type Rng } from '../rng.js';

/** A crop box: rows top..top+height-1, columns left..left+width-1. */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

export interface RandomResizedCropOptions {
  /** Output size: a number (square) or [height, width]. */
  size: number | [number, number];
  /** Range of the crop's area as a fraction of the image; default [0.08, 1]. */
  scale?: [number, number];
  /** Range of the crop's aspect ratio width / height; default [3/4, 4/3]. */
  ratio?: [number, number];
}

function outSize(size: unknown, op: string): [number, number] {
  if (typeof size === 'number') {
    const s = int(size, 'size', op, 1, 1 << 15);
    return [s, s];
  }
  if (!Array.isArray(size) || size.length !== 2) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: size must be a number or [height, width], got ${String(size)}`);
  }
  return [int(size[0], 'size[0]', op, 1, 1 << 15), int(size[1], 'size[1]', op, 1, 1 << 15)];
}

/**
 * torchvision 0.14 `RandomResizedCrop.get_params`: up to 10 attempts of
 * area = H W U(scale), aspect = exp(U(log ratio)), w = round(sqrt(area aspect)), h = round(sqrt(area / aspect)),
 * accepted when 0 < w <= W and 0 < h <= H, then top = randint(0, H - h), left = randint(0, W - w);
 * otherwise a central crop with the aspect ratio clamped to `ratio`. Draws in torchvision's order.
 */
export function sampleResizedCrop(rng: Rng, H: number, W: number, scale: [number, number], ratio: [number, number]): CropBox & { attempts: number } {
  return sampleCrop(rng, H, W, scale, ratio, dlog(ratio[0]), dlog(ratio[1]));
}

/** {@link sampleResizedCrop} with lr0 = dlog(ratio[0]), lr1 = dlog(ratio[1]) computed once by the op (same bits). */
function sampleCrop(
  rng: Rng,
  H: number,
  W: number,
  scale: [number, number],
  ratio: [number, number],
  lr0: number,
  lr1: number,
): CropBox & { attempts: number } {
  const area = H * W;
  for (let attempt = 1; attempt <= 10; attempt++) {
    const target = area * rng.range(scale[0], scale[1]);
    const aspect = dexp(rng.range(lr0, lr1));
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && w <= W && h > 0 && h <= H) {
      const top = rng.int(0, H - h);
      const left = rng.int(0, W - w);
      return { top, left, height: h, width: w, attempts: attempt };
    }
  }
  const inRatio = W / H;
  let w: number, h: number;
  if (inRatio < Math.min(ratio[0], ratio[1])) {
    w = W;
    h = roundHalfEven(w / Math.min(ratio[0], ratio[1]));
  } else if (inRatio > Math.max(ratio[0], ratio[1])) {
    h = H;
    w = roundHalfEven(h * Math.max(ratio[0], ratio[1]));
  } else {
    w = W;
    h = H;
  }
  return { top: Math.floor((H - h) / 2), left: Math.floor((W - w) / 2), height: h, width: w, attempts: 11 };
}

function cropOp(name: string, oh: number, ow: number, draw: (rng: Rng, s: ImageShape) => CropBox): ImageOp<CropBox> {
  return {
    name,
    outShape: (s) => ({ channels: s.channels, height: oh, width: ow }),
    sample: draw,
    identity: (s) => ({ top: 0, left: 0, height: s.height, width: s.width }),
    paramBytes: (n) => [16 * n, 4 * n],
    run(k, b, n, s, params, op) {
      const boxes = viewU32(k, b.params[0], 4 * n);
      for (let i = 0; i < n; i++) {
        const p = params[i];
        if (
          p.top < 0 ||
          p.left < 0 ||
          p.height < 1 ||
          p.width < 1 ||
          p.top + p.height > s.height ||
          p.left + p.width > s.width ||
          ![p.top, p.left, p.height, p.width].every(Number.isInteger)
        ) {
          throw new ContrastiveError('INVALID_ARGUMENT', `${op}: crop box ${JSON.stringify(p)} of image ${i} is not inside the ${s.height}x${s.width} image`);
        }
        boxes.set([p.top, p.left, p.height, p.width], 4 * i);
      }
      viewU32(k, b.params[1], n).fill(0);
      checkStatus(op, k.ct_aug_resized_crop(b.src, n, s.channels, s.height, s.width, b.params[0], b.params[1], oh, ow, b.dst));
      return true;
    },
  };
}

/**
 * RandomResizedCrop (torchvision 0.14 semantics; bilinear, antialias=False as torchvision's tensor
 * default): crop a random box (see {@link sampleResizedCrop}) and resize it to `size`.
 */
export function randomResizedCrop(opts: RandomResizedCropOptions): ImageOp<CropBox> {
  const OP = 'randomResizedCrop';
  const [oh, ow] = outSize(opts?.size, OP);
  const scale = pair(opts.scale, 'scale', OP, 0, 1, [0.08, 1]);
  if (scale[1] <= 0) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: scale must have max > 0, got [${scale}]`);
  const ratio = pair(opts.ratio, 'ratio', OP, 1e-6, 1e6, [3 / 4, 4 / 3]);
  const lr0 = dlog(ratio[0]),
    lr1 = dlog(ratio[1]);
  return cropOp(OP, oh, ow, (rng, s) => {
    const { top, left, height, width } = sampleCrop(rng, s.height, s.width, scale, ratio, lr0, lr1);
    return { top, left, height, width };
  });
}

/** `F.resized_crop(img, top, left, height, width, size)`: bilinear, antialias=False; one box or one per image. */
export function resizedCrop(images: ImageBatch, box: CropBox | CropBox[], size: number | [number, number]): ImageBatch {
  const [oh, ow] = outSize(size, 'resizedCrop');
  return applyWith(
    'resizedCrop',
    cropOp('resizedCrop', oh, ow, () => {
      throw new Error('unreachable');
    }),
    images,
    box,
  );
}

/** `F.resize(img, size)`: bilinear, antialias=False. */
export function resize(images: ImageBatch, size: number | [number, number]): ImageBatch {
  return resizedCrop(images, { top: 0, left: 0, height: images?.height, width: images?.width }, size);
}
