// Where the images come from: the bundled MNIST subset, or the user's own PNG/JPEG files (a
// folder, several files, or a zip), decoded by the browser and resized to 28 x 28 grayscale.
import { stratifiedSplit } from 'contrastive';
import { unzip } from 'fflate';
import { PX, SIDE, type Dataset, type ImageSet } from './shared.js';

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  // a server may already have undone the gzip (Content-Encoding): look at the magic bytes
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The MNIST subset scripts/make-data.mjs wrote (5,000 train / 1,000 test, stratified). */
export async function loadMnist(url: string): Promise<Dataset> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} (run \`pnpm --filter playground data\`)`);
  return parseMnist(await gunzip(new Uint8Array(await res.arrayBuffer())), url);
}

/** The MNIST subset from the bytes of scripts/make-data.mjs's file, after gunzip. */
export function parseMnist(b: Uint8Array, url = 'data'): Dataset {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (String.fromCharCode(...b.subarray(0, 4)) !== 'CMN1' || dv.getUint32(12, true) !== SIDE) throw new Error(`${url}: not a playground MNIST file`);
  const nTrain = dv.getUint32(4, true);
  const nTest = dv.getUint32(8, true);
  let o = 16;
  const take = (n: number): ImageSet => {
    const images = b.slice(o, o + n * PX);
    const labels = b.slice(o + n * PX, o + n * PX + n);
    o += n * (PX + 1);
    return { images, labels, n };
  };
  const train = take(nTrain);
  const test = take(nTest);
  return {
    name: `MNIST (${nTrain.toLocaleString('en')} train / ${nTest.toLocaleString('en')} test)`,
    train,
    test,
    classes: Array.from({ length: 10 }, (_, i) => String(i)),
  };
}

const IMAGE = /\.(png|jpe?g|webp|gif|bmp)$/i;

/** A file to decode and its class: the name of the folder it is in ('' at the top level). */
interface Entry {
  path: string;
  blob: Blob;
}

function labelOf(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts.length >= 2 ? parts[parts.length - 2] : '';
}

async function zipEntries(file: File): Promise<Entry[]> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const files = await new Promise<Record<string, Uint8Array>>((res, rej) =>
    unzip(bytes, { filter: (f) => IMAGE.test(f.name) && !f.name.includes('__MACOSX/') }, (err, out) => (err ? rej(err) : res(out))),
  );
  return Object.entries(files).map(([path, data]) => ({ path, blob: new Blob([data as BlobPart]) }));
}

/** 28 x 28 grayscale of one image: stretched to the square, luma, inverted when the background is light. */
async function decode(blob: Blob, ctx: OffscreenCanvasRenderingContext2D): Promise<Uint8Array> {
  const bmp = await createImageBitmap(blob);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, SIDE, SIDE);
  ctx.drawImage(bmp, 0, 0, SIDE, SIDE);
  bmp.close();
  const rgba = ctx.getImageData(0, 0, SIDE, SIDE).data;
  const g = new Uint8Array(PX);
  let sum = 0;
  for (let i = 0; i < PX; i++) {
    g[i] = Math.round(0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]);
    sum += g[i];
  }
  // MNIST is light strokes on black: flip dark-on-light images (scans, photos of paper)
  if (sum / PX > 127) for (let i = 0; i < PX; i++) g[i] = 255 - g[i];
  return g;
}

/**
 * The user's images as a dataset: labels from folder names (`cats/1.png` is class "cats"), a
 * stratified 80 / 20 train / test split (seed 0). Images with no folder get one class.
 */
export async function loadUpload(files: File[], onProgress: (done: number, total: number) => void): Promise<Dataset> {
  const entries: Entry[] = [];
  for (const f of files) {
    if (/\.zip$/i.test(f.name)) entries.push(...(await zipEntries(f)));
    else if (IMAGE.test(f.name)) entries.push({ path: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name, blob: f });
  }
  if (entries.length < 10) throw new Error(`found ${entries.length} PNG/JPEG images; need at least 10`);
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const names = [...new Set(entries.map((e) => labelOf(e.path)))].sort();
  if (names.length > 256) throw new Error(`${names.length} folders (classes); at most 256`);
  const ctx = new OffscreenCanvas(SIDE, SIDE).getContext('2d', { willReadFrequently: true })!;
  const images = new Uint8Array(entries.length * PX);
  const labels = new Uint8Array(entries.length);
  let ok = 0;
  for (const [i, e] of entries.entries()) {
    try {
      images.set(await decode(e.blob, ctx), ok * PX);
      labels[ok++] = names.indexOf(labelOf(e.path));
    } catch {
      // not an image the browser can decode: skipped
    }
    if (i % 50 === 0) onProgress(i, entries.length);
  }
  if (ok < 10) throw new Error(`decoded ${ok} of ${entries.length} images; need at least 10`);
  const all = { images: images.subarray(0, ok * PX), labels: labels.subarray(0, ok) };
  const split = stratifiedSplit(all.labels, 0.2, 0);
  // round-robin over the classes, so any prefix (the preview, the kNN bank) has every class
  const interleave = (rows: Int32Array): Int32Array => {
    const by = new Map<number, number[]>();
    for (const r of rows) (by.get(all.labels[r]) ?? by.set(all.labels[r], []).get(all.labels[r])!).push(r);
    const lists = [...by.values()];
    const out: number[] = [];
    for (let i = 0; out.length < rows.length; i++) for (const l of lists) if (i < l.length) out.push(l[i]);
    return Int32Array.from(out);
  };
  const subset = (sorted: Int32Array): ImageSet => {
    const rows = interleave(sorted);
    const im = new Uint8Array(rows.length * PX);
    rows.forEach((r, i) => im.set(all.images.subarray(r * PX, (r + 1) * PX), i * PX));
    return { images: im, labels: Uint8Array.from(rows, (r) => all.labels[r]), n: rows.length };
  };
  const train = subset(split.train);
  const test = subset(split.test);
  if (train.n < 8 || test.n < 2) throw new Error(`${ok} images split into ${train.n} train / ${test.n} test; add more images per folder`);
  const classes = names.map((n) => n || 'images');
  return { name: `your images (${train.n} train / ${test.n} test, ${classes.length} class${classes.length === 1 ? '' : 'es'})`, train, test, classes };
}
