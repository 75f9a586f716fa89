// Decoding images in Node with sharp (libvips), an optional peer dependency: imported on first
// use, so the package itself has no runtime dependency and browsers never see it.
import { ContrastiveError } from '../errors.js';
import { isImageFile, loadAll, resolveLoadOptions, type DecodedImage, type ImageLoadOptions, type ImageSet } from './images.js';

/** The part of sharp's API used here (so its types are not needed to build against this package). */
interface SharpPipeline {
  /** sharp >= 0.34; older versions auto-orient with rotate() */
  autoOrient?: () => SharpPipeline;
  rotate(): SharpPipeline;
  removeAlpha(): SharpPipeline;
  toColourspace(space: string): SharpPipeline;
  resize(o: { width: number; height: number; fit: 'cover' | 'fill'; position?: string }): SharpPipeline;
  raw(): SharpPipeline;
  toBuffer(o: { resolveWithObject: true }): Promise<{ data: Uint8Array; info: { width: number; height: number; channels: number } }>;
}
type SharpFn = (input: string | Uint8Array, o: { limitInputPixels: number; failOn: string }) => SharpPipeline;

let sharpPromise: Promise<SharpFn> | undefined;

/** Imports sharp once; a missing sharp is an error that says how to install it. */
export function loadSharp(specifier = 'sharp'): Promise<SharpFn> {
  const load = async () => {
    try {
      const m = (await import(/* @vite-ignore */ specifier)) as { default?: SharpFn };
      return m.default ?? (m as unknown as SharpFn);
    } catch (e) {
      throw new ContrastiveError(
        'MISSING_DEPENDENCY',
        `decoding images in Node needs the optional peer dependency sharp (npm install sharp); importing it failed: ${(e as Error).message.split('\n')[0]}`,
      );
    }
  };
  if (specifier !== 'sharp') return load();
  sharpPromise ??= load().catch((e) => {
    sharpPromise = undefined;
    throw e;
  });
  return sharpPromise;
}

async function decodeWith(
  sharp: SharpFn,
  input: string | Uint8Array,
  name: string,
  o: ReturnType<typeof resolveLoadOptions>,
  op: string,
): Promise<DecodedImage> {
  try {
    const raw = sharp(input, { limitInputPixels: o.maxPixels, failOn: 'warning' });
    // upright as a viewer shows it: a JPEG's EXIF orientation (a phone's rotated shot) is applied first
    let p = (typeof raw.autoOrient === 'function' ? raw.autoOrient() : raw.rotate()).removeAlpha().toColourspace(o.channels === 1 ? 'b-w' : 'srgb');
    if (o.height !== undefined && o.width !== undefined)
      p = p.resize({ width: o.width, height: o.height, fit: o.resize === 'crop' ? 'cover' : 'fill', position: 'centre' });
    const { data, info } = await p.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== o.channels) throw new Error(`decoded to ${info.channels} channels, expected ${o.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), height: info.height, width: info.width, channels: o.channels };
  } catch (e) {
    const why = (e as Error).message ?? String(e);
    const hint = /pixel limit/i.test(why) ? ` (more than maxPixels = ${o.maxPixels})` : '';
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: cannot decode ${name}: ${why.split('\n')[0]}${hint}`);
  }
}

/** One image file (path) or its bytes, decoded, converted and resized as `opts` says. */
export async function decodeImage(input: string | Uint8Array, opts: ImageLoadOptions & { name?: string } = {}): Promise<DecodedImage> {
  const OP = 'decodeImage';
  const o = resolveLoadOptions(opts, OP);
  if (typeof input !== 'string' && !(input instanceof Uint8Array))
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: input must be a file path or a Uint8Array of the file's bytes`);
  if (input instanceof Uint8Array && input.length === 0)
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${opts.name ?? 'the image'} is empty (0 bytes)`);
  return decodeWith(await loadSharp(), input, opts.name ?? (typeof input === 'string' ? input : 'the image'), o, OP);
}

/** The image files under `dir` (recursive, sorted, hidden files and other extensions skipped), relative to it. */
export async function listImageFiles(dir: string): Promise<string[]> {
  const { readdir, stat } = await import('node:fs/promises');
  const { join, relative, sep } = await import('node:path');
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(dir);
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `loadImageFolder: cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!st.isDirectory()) throw new ContrastiveError('INVALID_ARGUMENT', `loadImageFolder: ${dir} is not a folder`);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = join((e as unknown as { parentPath?: string; path?: string }).parentPath ?? (e as unknown as { path: string }).path, e.name);
    const rel = relative(dir, full);
    if (rel.split(sep).some((p) => p.startsWith('.'))) continue;
    if (isImageFile(rel)) files.push(rel.split(sep).join('/'));
  }
  return files.sort();
}

/**
 * A folder of PNG, JPEG and WebP images (recursive), decoded with sharp into uint8 HWC images,
 * RGB or grayscale, resized (shorter side + center crop, or exact). Labeled by subfolder name
 * when every image is in one (`dir/<class>/*.jpg`). A file that does not decode (corrupt,
 * truncated, empty, not an image, over maxPixels) is an error naming it, or, with
 * `onError: 'skip'`, a warning.
 */
export async function loadImageFolder(dir: string, opts: ImageLoadOptions = {}): Promise<ImageSet> {
  const OP = 'loadImageFolder';
  if (typeof dir !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: dir must be a path, got ${typeof dir}`);
  const o = resolveLoadOptions(opts, OP);
  const sharp = await loadSharp();
  const files = await listImageFiles(dir);
  if (files.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${dir} holds no .png, .jpg, .jpeg or .webp files`);
  const { join } = await import('node:path');
  const { readFile } = await import('node:fs/promises');
  return loadAll(
    files,
    async (f) => {
      const bytes = await readFile(join(dir, f));
      if (bytes.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${f} is empty (0 bytes)`);
      return decodeWith(sharp, bytes, f, o, OP);
    },
    o,
    OP,
  );
}

export type { DecodedImage, ImageLoadOptions, ImageSet } from './images.js';
export { IMAGE_EXTENSIONS } from './images.js';
