import { ContrastiveError } from '../errors.js';
import type { ImageBatch, ImageShape } from './image.js';
import { applyWith, checkStatus, num, pair, viewF32, type ImageOp } from './op.js';
import { dcos, dsin, roundHalfEven, type Rng } from '../rng.js';

/** One image's affine warp, torchvision's parameters. */
export interface AffineParams {
  /** degrees; positive turns the picture clockwise on screen (F.affine). */
  angle: number;
  /** [tx, ty] pixels, applied after the rotation (+tx right, +ty down). */
  translate: [number, number];
  scale: number;
  /** [shear_x, shear_y] degrees. */
  shear: [number, number];
  /** centre [x, y] in continuous pixel coordinates (origin at the top-left corner); default the image centre. */
  center?: [number, number];
}

export interface WarpOptions {
  interpolation?: 'bilinear' | 'nearest';
  /** One value per channel (or one for all), or null for torchvision's fill=None; default 0. */
  fill?: number | number[] | null;
}

const rad = (deg: number) => (deg * Math.PI) / 180;

/** torchvision 0.14 `_get_inverse_affine_matrix` (output -> input), with centre offsets for an h x w image. */
export function inverseAffineMatrix(p: AffineParams, s: { height: number; width: number }): number[] {
  const rot = rad(p.angle),
    sx = rad(p.shear[0]),
    sy = rad(p.shear[1]);
  const [cx, cy] = p.center ? [p.center[0] - s.width * 0.5, p.center[1] - s.height * 0.5] : [0, 0];
  const [tx, ty] = p.translate;
  // each sine and cosine once (they are pure: the same bits as calling them at every use)
  const cr = dcos(rot - sy),
    sr = dsin(rot - sy),
    csy = dcos(sy);
  const cs = cr / csy;
  const tanSx = dsin(sx) / dcos(sx);
  const a = cs;
  const b = (-cr * tanSx) / csy - dsin(rot);
  const c = sr / csy;
  const d = (-sr * tanSx) / csy + dcos(rot);
  const M = [d, -b, 0, -c, a, 0].map((v) => v / p.scale);
  M[2] += M[0] * (-cx - tx) + M[1] * (-cy - ty);
  M[5] += M[3] * (-cx - tx) + M[4] * (-cy - ty);
  M[2] += cx;
  M[5] += cy;
  return M;
}

function fillValues(fill: WarpOptions['fill'], c: number, op: string): number[] | null {
  if (fill === null) return null;
  if (fill === undefined) return new Array<number>(c).fill(0);
  const v = typeof fill === 'number' ? new Array<number>(c).fill(fill) : fill;
  if (!Array.isArray(v) || (v.length !== c && v.length !== 1) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: fill must be a finite number or ${c} of them (one per channel), got ${String(fill)}`);
  }
  return v.length === 1 ? new Array<number>(c).fill(v[0]) : v;
}

function warpOp(name: string, opts: WarpOptions, nearestDefault: boolean, draw: (rng: Rng, s: ImageShape) => AffineParams): ImageOp<AffineParams> {
  const interp = opts.interpolation ?? (nearestDefault ? 'nearest' : 'bilinear');
  if (interp !== 'bilinear' && interp !== 'nearest') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${name}: interpolation must be 'bilinear' or 'nearest', got ${String(interp)}`);
  }
  return {
    name,
    outShape: (s) => s,
    sample: draw,
    identity: () => ({ angle: 0, translate: [0, 0], scale: 1, shear: [0, 0] }),
    paramBytes: (n, s) => [24 * n, 4 * s.channels],
    run(k, b, n, s, params, op) {
      const fill = fillValues(opts.fill, s.channels, op);
      const m = viewF32(k, b.params[0], 6 * n);
      for (let i = 0; i < n; i++) m.set(inverseAffineMatrix(params[i], s), 6 * i);
      if (fill) viewF32(k, b.params[1], s.channels).set(fill);
      checkStatus(op, k.ct_aug_affine(b.src, n, s.channels, s.height, s.width, b.params[0], interp === 'nearest' ? 1 : 0, fill ? b.params[1] : 0, b.dst));
      return true;
    },
  };
}

function checkAffine(p: AffineParams, op: string): AffineParams {
  num(p?.angle, 'angle', op, -1e6, 1e6);
  const t = p.translate ?? [0, 0];
  if (!Array.isArray(t) || t.length !== 2) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: translate must be [tx, ty], got ${String(t)}`);
  num(t[0], 'translate[0]', op, -1e6, 1e6);
  num(t[1], 'translate[1]', op, -1e6, 1e6);
  num(p.scale, 'scale', op, 1e-6, 1e6);
  const sh = p.shear ?? [0, 0];
  if (!Array.isArray(sh) || sh.length !== 2)
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: shear must be [shear_x, shear_y] degrees, got ${String(sh)}`);
  num(sh[0], 'shear[0]', op, -89, 89);
  num(sh[1], 'shear[1]', op, -89, 89);
  return { ...p, translate: [t[0], t[1]], shear: [sh[0], sh[1]] };
}

/** `F.affine(img, angle, translate, scale, shear, interpolation, fill)` (same output size). */
export function affine(images: ImageBatch, params: AffineParams | AffineParams[], opts: WarpOptions = {}): ImageBatch {
  const list = (Array.isArray(params) ? params : [params]).map((p) => checkAffine(p, 'affine'));
  return applyWith(
    'affine',
    warpOp('affine', opts, false, () => list[0]),
    images,
    Array.isArray(params) ? list : list[0],
  );
}

/** `F.rotate(img, angle)`: counter-clockwise on screen by `angle` degrees, expand=False. */
export function rotate(images: ImageBatch, angle: number, opts: WarpOptions & { center?: [number, number] } = {}): ImageBatch {
  num(angle, 'angle', 'rotate', -1e6, 1e6);
  return affine(images, { angle: -angle, translate: [0, 0], scale: 1, shear: [0, 0], center: opts.center }, opts);
}

/** RandomRotation(degrees): angle = U(-d, d) (or U(min, max)); nearest and fill 0 by default, as torchvision. */
export function randomRotation(opts: { degrees: number | [number, number] } & WarpOptions): ImageOp<AffineParams> {
  const OP = 'randomRotation';
  const deg =
    typeof opts?.degrees === 'number'
      ? ([-num(opts.degrees, 'degrees', OP, 0, 360), opts.degrees] as [number, number])
      : pair(opts?.degrees, 'degrees', OP, -360, 360);
  return warpOp(OP, opts, true, (rng) => ({ angle: -rng.range(deg[0], deg[1]), translate: [0, 0], scale: 1, shear: [0, 0] }));
}

export interface RandomAffineOptions extends WarpOptions {
  /** angle range in degrees: d means [-d, d]. */
  degrees: number | [number, number];
  /** maximum fraction of width and height to translate: tx = round(U(-a W, a W)). */
  translate?: [number, number];
  /** scale range. */
  scale?: [number, number];
  /** shear: s means x-shear in [-s, s]; [a, b] x-shear in [a, b]; [a, b, c, d] adds y-shear in [c, d]. */
  shear?: number | [number, number] | [number, number, number, number];
}

/** RandomAffine (torchvision 0.14 `get_params` order: angle, translate, scale, shear); nearest by default as torchvision. */
export function randomAffine(opts: RandomAffineOptions): ImageOp<AffineParams> {
  const OP = 'randomAffine';
  const deg =
    typeof opts?.degrees === 'number'
      ? ([-num(opts.degrees, 'degrees', OP, 0, 360), opts.degrees] as [number, number])
      : pair(opts?.degrees, 'degrees', OP, -360, 360);
  const tr = opts.translate === undefined ? undefined : [num(opts.translate[0], 'translate[0]', OP, 0, 1), num(opts.translate[1], 'translate[1]', OP, 0, 1)];
  const sc = opts.scale === undefined ? undefined : pair(opts.scale, 'scale', OP, 1e-3, 1e3);
  let shx: [number, number] | undefined, shy: [number, number] | undefined;
  const sh = opts.shear;
  if (typeof sh === 'number') shx = [-num(sh, 'shear', OP, 0, 89), sh];
  else if (Array.isArray(sh) && sh.length === 2) shx = pair(sh, 'shear', OP, -89, 89);
  else if (Array.isArray(sh) && sh.length === 4) {
    shx = pair([sh[0], sh[1]], 'shear[0..1]', OP, -89, 89);
    shy = pair([sh[2], sh[3]], 'shear[2..3]', OP, -89, 89);
  } else if (sh !== undefined) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: shear must be a number or 2 or 4 numbers, got ${String(sh)}`);
  return warpOp(OP, opts, true, (rng, s) => {
    const angle = rng.range(deg[0], deg[1]);
    let translate: [number, number] = [0, 0];
    if (tr) {
      const mx = tr[0] * s.width,
        my = tr[1] * s.height;
      translate = [roundHalfEven(rng.range(-mx, mx)), roundHalfEven(rng.range(-my, my))];
    }
    const scale = sc ? rng.range(sc[0], sc[1]) : 1;
    const shear: [number, number] = [shx ? rng.range(shx[0], shx[1]) : 0, shy ? rng.range(shy[0], shy[1]) : 0];
    return { angle, translate, scale, shear };
  });
}
