// Image folders, the part shared by Node (sharp) and browsers (createImageBitmap): options,
// labels from subfolder names, and the loading loop (bounded concurrency, progress, skipping).
import { ContrastiveError } from '../errors.js';
import type { Uint8Images } from '../train/data.js';

/** Decoded images kept as uint8 (HWC per image), with the files they came from and their labels. */
export interface ImageSet extends Uint8Images {
  /** the file of each image, relative to the folder (or as given), in order */
  files: string[];
  /** class id of each image (from the subfolder names), when the folder is labeled */
  labels?: Int32Array;
  /** the subfolder name of each class id, sorted */
  classes?: string[];
}

export interface ImageLoadOptions {
  /** Output size: N for N x N, or [height, width]. Default: keep each file's size (all must match). */
  size?: number | [number, number];
  /** 'crop' (default): scale the shorter side to the size, then center-crop; 'exact': stretch to the size. */
  resize?: 'crop' | 'exact';
  /** 3 (default): RGB (alpha dropped); 1: grayscale. */
  channels?: 1 | 3;
  /**
   * Labels from subfolder names (`dir/<class>/*.png`, the torchvision ImageFolder layout). Default
   * true when every image is in a subfolder, false when all are at the top; `false` forces unlabeled.
   */
  labels?: boolean;
  /** 'throw' (default): a file that does not decode stops the load with an error naming it; 'skip': warn and leave it out. */
  onError?: 'throw' | 'skip';
  /** Where 'skip' warnings go (default console.warn). */
  onWarning?: (message: string) => void;
  /** Called after each file. */
  onProgress?: (e: { done: number; total: number; file: string }) => void;
  /** Files with more pixels than this are refused before decoding (default 16384 x 16384). */
  maxPixels?: number;
  /** Files decoded at once (default 4). */
  concurrency?: number;
}

export interface ResolvedLoadOptions {
  height?: number;
  width?: number;
  resize: 'crop' | 'exact';
  channels: 1 | 3;
  labels?: boolean;
  onError: 'throw' | 'skip';
  onWarning: (message: string) => void;
  onProgress?: ImageLoadOptions['onProgress'];
  maxPixels: number;
  concurrency: number;
}

/** The file extensions an image folder is made of (case-insensitive); other files are ignored. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];

export const isImageFile = (path: string): boolean => {
  const base = path.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return !base.startsWith('.') && dot > 0 && IMAGE_EXTENSIONS.includes(base.slice(dot).toLowerCase());
};

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

export function resolveLoadOptions(opts: ImageLoadOptions, op: string): ResolvedLoadOptions {
  if (opts === null || typeof opts !== 'object') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: options must be an object`);
  let height: number | undefined;
  let width: number | undefined;
  if (opts.size !== undefined) {
    const [h, w] = typeof opts.size === 'number' ? [opts.size, opts.size] : Array.isArray(opts.size) && opts.size.length === 2 ? opts.size : [NaN, NaN];
    if (!isPosInt(h) || !isPosInt(w) || h > 8192 || w > 8192) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: size must be an integer 1..8192 or [height, width] of them, got ${JSON.stringify(opts.size)}`);
    }
    [height, width] = [h, w];
  }
  const resize = opts.resize ?? 'crop';
  if (resize !== 'crop' && resize !== 'exact') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: resize must be 'crop' or 'exact', got ${String(resize)}`);
  const channels = opts.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: channels must be 1 or 3, got ${String(channels)}`);
  const onError = opts.onError ?? 'throw';
  if (onError !== 'throw' && onError !== 'skip')
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: onError must be 'throw' or 'skip', got ${String(onError)}`);
  const maxPixels = opts.maxPixels ?? 16384 * 16384;
  if (!isPosInt(maxPixels)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: maxPixels must be a positive integer, got ${String(maxPixels)}`);
  const concurrency = opts.concurrency ?? 4;
  if (!isPosInt(concurrency)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: concurrency must be a positive integer, got ${String(concurrency)}`);
  if (opts.labels !== undefined && typeof opts.labels !== 'boolean')
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: labels must be a boolean, got ${String(opts.labels)}`);
  // eslint-disable-next-line no-console
  const onWarning = opts.onWarning ?? ((m: string) => console.warn(m));
  return { height, width, resize, channels, labels: opts.labels, onError, onWarning, onProgress: opts.onProgress, maxPixels, concurrency };
}

/**
 * Class labels from relative paths `class/.../file`: the first folder names the class; classes
 * sorted by name, ids 0..K-1. Returns undefined when the images are not labeled (all at the top,
 * or `want` false). Some at the top and some in subfolders is an error (which layout is meant?).
 */
export function labelsFromPaths(paths: string[], want: boolean | undefined, op: string): { labels: Int32Array; classes: string[] } | undefined {
  if (want === false || paths.length === 0) return undefined;
  const parts = paths.map((p) => p.split(/[\\/]/).filter((s) => s !== '' && s !== '.'));
  const top = parts.findIndex((p) => p.length < 2);
  const sub = parts.findIndex((p) => p.length >= 2);
  if (sub < 0) {
    if (want)
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: labels were asked for, but no image is in a class subfolder (expected dir/<class>/<image>)`);
    return undefined;
  }
  if (top >= 0) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${op}: ${paths[top]} is at the top of the folder but ${paths[sub]} is in a class subfolder; put every image in a class folder, or pass labels: false`,
    );
  }
  const names = parts.map((p) => p[0]);
  const classes = [...new Set(names)].sort();
  const id = new Map(classes.map((c, k) => [c, k]));
  return { labels: Int32Array.from(names, (c) => id.get(c)!), classes };
}

/** One image as a decoder returns it: HWC uint8 at the requested size and channels. */
export interface DecodedImage {
  data: Uint8Array;
  height: number;
  width: number;
  channels: 1 | 3;
}

/**
 * Decodes `files` with `decode` (at most `concurrency` at once) into one uint8 array, in order.
 * A failure is an error naming the file, or with onError 'skip' a warning and the file left out.
 */
export async function loadAll(files: string[], decode: (file: string) => Promise<DecodedImage>, o: ResolvedLoadOptions, op: string): Promise<ImageSet> {
  if (files.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: no images to load (extensions: ${IMAGE_EXTENSIONS.join(', ')})`);
  const n = files.length;
  let height = o.height;
  let width = o.width;
  let data: Uint8Array | undefined;
  const ok = new Uint8Array(n);
  let done = 0;
  const failed: string[] = [];
  const one = async (i: number): Promise<void> => {
    const file = files[i];
    let img: DecodedImage;
    try {
      img = await decode(file);
      if (height === undefined || width === undefined) [height, width] = [img.height, img.width];
      if (img.height !== height || img.width !== width) {
        throw new ContrastiveError(
          'SHAPE_MISMATCH',
          `${op}: ${file} is ${img.width}x${img.height}, the images before it ${width}x${height}; pass size to resize them all`,
        );
      }
    } catch (e) {
      const msg = e instanceof ContrastiveError ? e.message : `${op}: cannot decode ${file}: ${(e as Error)?.message ?? String(e)}`;
      if (o.onError === 'throw') throw e instanceof ContrastiveError ? e : new ContrastiveError('INVALID_ARGUMENT', msg);
      o.onWarning(`${msg} (skipped)`);
      failed.push(file);
      done++;
      o.onProgress?.({ done, total: n, file });
      return;
    }
    const per = height * width * o.channels;
    data ??= new Uint8Array(n * per);
    data.set(img.data, i * per);
    ok[i] = 1;
    done++;
    o.onProgress?.({ done, total: n, file });
  };
  // the first image alone (it fixes the size when none was given), then the rest concurrently
  let next = 1;
  await one(0);
  const worker = async () => {
    while (next < n) await one(next++);
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, n - 1) }, worker));
  const kept = files.filter((_, i) => ok[i]);
  if (kept.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: none of the ${n} images could be decoded (first: ${failed[0]})`);
  const per = height! * width! * o.channels;
  let out = data!;
  if (kept.length < n) {
    out = new Uint8Array(kept.length * per);
    let k = 0;
    for (let i = 0; i < n; i++) if (ok[i]) out.set(data!.subarray(i * per, (i + 1) * per), per * k++);
  }
  const set: ImageSet = { data: out, n: kept.length, height: height!, width: width!, channels: o.channels, files: kept };
  const lab = labelsFromPaths(kept, o.labels, op);
  if (lab) Object.assign(set, lab);
  return set;
}

/** The source rectangle of a 'crop' resize (shorter side to the target, centered) or the whole image. */
export function cropBox(w: number, h: number, tw: number, th: number, mode: 'crop' | 'exact'): { sx: number; sy: number; sw: number; sh: number } {
  if (mode === 'exact') return { sx: 0, sy: 0, sw: w, sh: h };
  const scale = Math.max(tw / w, th / h);
  const sw = tw / scale;
  const sh = th / scale;
  return { sx: (w - sw) / 2, sy: (h - sh) / 2, sw, sh };
}
