// Decoding images in browsers (and workers) with what they have: createImageBitmap to decode,
// an OffscreenCanvas to resize and read the pixels back.
import { ContrastiveError } from '../errors.js';
import { cropBox, isImageFile, loadAll, resolveLoadOptions, type DecodedImage, type ImageLoadOptions, type ImageSet } from './images.js';

/** A file as a browser has it: a File from `<input type="file" webkitdirectory>` or a drop, or a Blob with a path. */
export type ImageFileLike = File | { path: string; blob: Blob };

const pathOf = (f: ImageFileLike): string => ('blob' in f ? f.path : f.webkitRelativePath || f.name);
const blobOf = (f: ImageFileLike): Blob => ('blob' in f ? f.blob : f);

async function decodeBlob(blob: Blob, name: string, o: ReturnType<typeof resolveLoadOptions>, op: string): Promise<DecodedImage> {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: this runtime has no createImageBitmap / OffscreenCanvas (in Node, use loadImageFolder with sharp)`);
  }
  if (blob.size === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} is empty (0 bytes)`);
  let bmp: ImageBitmap;
  try {
    // upright as the browser shows it: a JPEG's EXIF orientation applied
    bmp = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: cannot decode ${name}: ${(e as Error).message ?? String(e)}`);
  }
  try {
    const w = bmp.width;
    const h = bmp.height;
    if (w * h > o.maxPixels) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: cannot decode ${name}: ${w}x${h} is more than maxPixels = ${o.maxPixels}`);
    const tw = o.width ?? w;
    const th = o.height ?? h;
    const canvas = new OffscreenCanvas(tw, th);
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    const b = cropBox(w, h, tw, th, o.resize);
    ctx.drawImage(bmp, b.sx, b.sy, b.sw, b.sh, 0, 0, tw, th);
    const rgba = ctx.getImageData(0, 0, tw, th).data;
    const px = tw * th;
    const out = new Uint8Array(px * o.channels);
    if (o.channels === 3) {
      for (let i = 0; i < px; i++) {
        out[3 * i] = rgba[4 * i];
        out[3 * i + 1] = rgba[4 * i + 1];
        out[3 * i + 2] = rgba[4 * i + 2];
      }
    } else {
      // ITU-R BT.601 luma, as PIL's convert('L')
      for (let i = 0; i < px; i++) out[i] = Math.round((rgba[4 * i] * 299 + rgba[4 * i + 1] * 587 + rgba[4 * i + 2] * 114) / 1000);
    }
    return { data: out, height: th, width: tw, channels: o.channels };
  } finally {
    bmp.close();
  }
}

/** One image (a Blob or File, or the file's bytes) decoded, converted and resized as `opts` says. */
export async function decodeImage(input: Blob | Uint8Array, opts: ImageLoadOptions & { name?: string } = {}): Promise<DecodedImage> {
  const OP = 'decodeImage';
  const o = resolveLoadOptions(opts, OP);
  const blob = input instanceof Uint8Array ? new Blob([input as Uint8Array<ArrayBuffer>]) : input;
  if (!(blob instanceof Blob)) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: input must be a Blob, a File or a Uint8Array of the file's bytes`);
  return decodeBlob(blob, opts.name ?? ('name' in blob ? (blob as File).name : 'the image'), o, OP);
}

/**
 * Image files picked or dropped in a browser (a folder from `<input type="file" webkitdirectory>`
 * keeps each file's `webkitRelativePath`), decoded into uint8 HWC images, RGB or grayscale,
 * resized. Labels come from the first subfolder under the picked folder (`<folder>/<class>/x.jpg`).
 * Files without an image extension are left out; hidden ones too.
 */
export async function loadImageFiles(files: Iterable<ImageFileLike> | ArrayLike<ImageFileLike>, opts: ImageLoadOptions = {}): Promise<ImageSet> {
  const OP = 'loadImageFiles';
  const o = resolveLoadOptions(opts, OP);
  const list = Array.from(files as ArrayLike<ImageFileLike>).filter(
    (f) =>
      isImageFile(pathOf(f)) &&
      !pathOf(f)
        .split('/')
        .some((p) => p.startsWith('.')),
  );
  // a picked folder's paths all start with its own name: strip it, so classes are the next level
  let paths = list.map(pathOf);
  const first = paths[0]?.split('/')[0];
  const picked = list.every((f) => !('blob' in f) && f.webkitRelativePath);
  if (picked && first !== undefined && paths.every((p) => p.split('/').length > 1 && p.split('/')[0] === first))
    paths = paths.map((p) => p.slice(first.length + 1));
  const order = paths.map((p, i) => [p, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const byPath = new Map(order.map(([p, i]) => [p, list[i]]));
  return loadAll(
    order.map(([p]) => p),
    (p) => decodeBlob(blobOf(byPath.get(p)!), p, o, OP),
    o,
    OP,
  );
}

export type { DecodedImage, ImageLoadOptions, ImageSet } from './images.js';
export { IMAGE_EXTENSIONS } from './images.js';
