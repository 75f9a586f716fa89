// `--data PATH` for the command line: an image folder, a CSV/TSV, NPY, JSONL or IDX file,
// auto-detected (or forced with --data-format), loaded into images, vectors or pairs.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  ContrastiveError,
  csvPairs,
  csvTable,
  fitStandardizer,
  jsonlPairs,
  jsonlVectors,
  parseJsonl,
  parseNpy,
  readIdx,
  standardize,
  type Matrix,
  type Standardizer,
} from 'contrastive';
import { decodeImage, listImageFiles, loadImageFolder } from 'contrastive/node-images';
import { loadIdxImages, type ImageSet } from './data.js';

export const DATA_FORMATS = ['folder', 'csv', 'tsv', 'npy', 'jsonl', 'idx'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

/** What a path held: images (uint8 HWC), vectors (rows), or aligned pairs of vectors. */
export type LoadedData =
  | { kind: 'images'; set: ImageSet; files?: string[]; classes?: string[]; name: string }
  | { kind: 'vectors'; x: Matrix; labels?: Int32Array; classes?: string[]; files?: string[]; name: string }
  | { kind: 'pairs'; a: Matrix; b: Matrix /** hard negatives (triplets), with b's columns */; neg?: Matrix; name: string };

export interface DataOptions {
  format?: string;
  /** images: output side (default: the first image's when its shorter side is <= 64, else 64) */
  imageSize?: number;
  channels?: 1 | 3;
  /** labels file for NPY / IDX data */
  labels?: string;
  labelColumn?: string;
  categorical?: string;
  ignoreColumns?: string;
  skipBadImages?: boolean;
  /** CSV: pairs (triplets) from column groups, comma-separated names or prefix* patterns */
  anchorColumns?: string;
  positiveColumns?: string;
  negativeColumns?: string;
  /** images: force this [channels, height, width] (a trained model's input) */
  input?: [number, number, number];
}

const fail = (msg: string) => new ContrastiveError('INVALID_ARGUMENT', msg);

/** The format of PATH: a folder, or by extension (.csv .tsv .npy .jsonl/.ndjson, IDX `*-ubyte[.gz]` / .idx). */
export async function detectFormat(path: string, forced?: string): Promise<DataFormat> {
  if (forced !== undefined) {
    if (!(DATA_FORMATS as readonly string[]).includes(forced)) throw fail(`--data-format must be one of ${DATA_FORMATS.join(', ')}, got ${forced}`);
    return forced as DataFormat;
  }
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (e) {
    throw fail(`cannot read --data ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (st.isDirectory()) return 'folder';
  const p = path.toLowerCase().replace(/\.gz$/, '');
  if (p.endsWith('.csv')) return 'csv';
  if (p.endsWith('.tsv') || p.endsWith('.tab')) return 'tsv';
  if (p.endsWith('.npy')) return 'npy';
  if (p.endsWith('.jsonl') || p.endsWith('.ndjson')) return 'jsonl';
  if (/ubyte$/.test(p) || p.endsWith('.idx')) return 'idx';
  throw fail(`cannot tell the format of ${path} (a folder of images, .csv, .tsv, .npy, .jsonl or an IDX *-ubyte file); pass --data-format`);
}

async function text(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw fail(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const list = (s?: string) => (s === undefined || s === '' ? undefined : s.split(',').map((c) => c.trim()));

/** Labels for NPY / IDX data from a second file (.npy of integers, or IDX). */
async function labelsFile(path: string, n: number, of: string): Promise<Int32Array> {
  const bytes = new Uint8Array(
    await readFile(path).catch((e) => {
      throw fail(`cannot read labels file ${path}: ${(e as NodeJS.ErrnoException).code ?? e.message}`);
    }),
  );
  const arr = path.toLowerCase().endsWith('.npy') ? parseNpy(bytes, path) : await readIdx(bytes, path);
  if (arr.shape.length !== 1 || arr.shape[0] !== n)
    throw new ContrastiveError('SHAPE_MISMATCH', `${path}: expected ${n} labels (one per row of ${of}), got shape [${arr.shape.join(', ')}]`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = Number(arr.data[i]);
    if (!Number.isInteger(v)) throw fail(`${path}: label ${i} is ${v}, expected an integer`);
    out[i] = v;
  }
  return out;
}

/** A folder of images: size and channels from the options, or from the first image. */
async function folder(path: string, o: DataOptions, onWarning: (m: string) => void): Promise<LoadedData> {
  let size: [number, number] | undefined = o.input ? [o.input[1], o.input[2]] : o.imageSize ? [o.imageSize, o.imageSize] : undefined;
  let channels = (o.input?.[0] as 1 | 3 | undefined) ?? o.channels;
  if (!size || !channels) {
    const files = await listImageFiles(path);
    if (files.length === 0) throw fail(`${path} holds no .png, .jpg, .jpeg or .webp files`);
    const first = await decodeImage(resolve(path, files[0]), { channels: 3, name: files[0] });
    if (!size) {
      const side = Math.min(first.height, first.width);
      size = side <= 64 ? [first.height, first.width] : [64, 64];
    }
    if (!channels) {
      let gray = true;
      for (let i = 0; i < first.data.length && gray; i += 3) gray = first.data[i] === first.data[i + 1] && first.data[i] === first.data[i + 2];
      channels = gray ? 1 : 3;
    }
  }
  // a line on stderr every 5 s while a large folder loads (stdout stays for --json)
  let last = Date.now();
  const onProgress = (e: { done: number; total: number }) => {
    if (Date.now() - last < 5000 && e.done < e.total) return;
    if (e.total >= 1000) process.stderr.write(`loading ${path}: ${e.done}/${e.total} images\n`);
    last = Date.now();
  };
  const set = await loadImageFolder(path, { size, channels, onError: o.skipBadImages ? 'skip' : 'throw', onWarning, onProgress });
  return {
    kind: 'images',
    name: path,
    files: set.files,
    classes: set.classes,
    set: { images: set.data, n: set.n, height: set.height, width: set.width, channels: set.channels, labels: set.labels },
  };
}

/** Loads `--data PATH` as the options say. */
export async function loadData(
  path: string,
  o: DataOptions = {},
  onWarning: (m: string) => void = (m) => console.error(`contrastive: ${m}`),
): Promise<LoadedData> {
  const format = await detectFormat(path, o.format);
  if ((o.anchorColumns ?? o.positiveColumns ?? o.negativeColumns) !== undefined && format !== 'csv' && format !== 'tsv')
    throw fail(`--anchor-columns, --positive-columns and --negative-columns pick columns of a CSV or TSV file; ${path} is read as ${format}`);
  const table = { label: o.labelColumn, categorical: list(o.categorical), ignore: list(o.ignoreColumns), name: path };
  switch (format) {
    case 'folder':
      return folder(path, o, onWarning);
    case 'csv':
    case 'tsv': {
      if (o.anchorColumns !== undefined || o.positiveColumns !== undefined || o.negativeColumns !== undefined) {
        if (o.anchorColumns === undefined || o.positiveColumns === undefined)
          throw fail('pairs from CSV columns need both --anchor-columns and --positive-columns (--negative-columns is optional)');
        const p = csvPairs(await text(path), {
          anchor: list(o.anchorColumns)!,
          positive: list(o.positiveColumns)!,
          negative: list(o.negativeColumns),
          name: path,
          delimiter: format === 'tsv' ? '\t' : ',',
        });
        return { kind: 'pairs', a: p.anchor, b: p.positive, ...(p.negative ? { neg: p.negative } : {}), name: path };
      }
      const t = csvTable(await text(path), { ...table, delimiter: format === 'tsv' ? '\t' : ',' });
      return { kind: 'vectors', x: t.x, labels: t.labels, classes: t.classes, name: path };
    }
    case 'jsonl': {
      const body = await text(path);
      const first = parseJsonl(body.split(/\r?\n/).find((l) => l.trim() !== '') ?? '', path).values[0];
      if (first !== null && typeof first === 'object' && !Array.isArray(first) && 'anchor' in first && 'positive' in first) {
        const p = jsonlPairs(body, { name: path });
        return { kind: 'pairs', a: p.anchor, b: p.positive, ...(p.negative ? { neg: p.negative } : {}), name: path };
      }
      const v = jsonlVectors(body, { name: path, label: o.labelColumn });
      return { kind: 'vectors', x: v.x, labels: v.labels, classes: v.classes, name: path };
    }
    case 'npy': {
      const arr = parseNpy(new Uint8Array(await readFile(path)), path);
      if (arr.shape.length === 2) {
        const [rows, cols] = arr.shape;
        const x = { data: arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data as ArrayLike<number>), rows, cols };
        for (let i = 0; i < x.data.length; i++) {
          if (!Number.isFinite(x.data[i])) throw new ContrastiveError('NON_FINITE', `${path}: row ${Math.floor(i / cols)}, column ${i % cols} is ${x.data[i]}`);
        }
        return { kind: 'vectors', x, labels: o.labels ? await labelsFile(o.labels, rows, path) : undefined, name: path };
      }
      if ((arr.shape.length === 3 || arr.shape.length === 4) && arr.data instanceof Uint8Array) {
        const [n, height, width, channels = 1] = arr.shape;
        if (channels !== 1 && channels !== 3) throw fail(`${path}: uint8 images need 1 or 3 channels (N x H x W x C), got ${channels}`);
        const set: ImageSet = { images: arr.data, n, height, width, channels, labels: o.labels ? await labelsFile(o.labels, n, path) : undefined };
        return { kind: 'images', set, name: path };
      }
      throw fail(`${path}: expected a 2-d array of vectors (N x D) or uint8 images (N x H x W [x C]), got ${arr.descr} [${arr.shape.join(', ')}]`);
    }
    case 'idx':
      return { kind: 'images', set: await loadIdxImages(path, o.labels), name: path };
  }
}

/** Maps `test`'s class names onto `train`'s class ids (folders or tables may list classes in any subset). */
export function alignClasses(train: { classes?: string[] }, test: { classes?: string[]; labels?: Int32Array }, testName: string): Int32Array | undefined {
  if (!test.labels || !train.classes || !test.classes) return test.labels;
  const id = new Map(train.classes.map((c, k) => [c, k]));
  const map = test.classes.map((c) => {
    const k = id.get(c);
    if (k === undefined)
      throw fail(
        `${testName} has class ${JSON.stringify(c)}, which the training data does not (its classes: ${train.classes!.slice(0, 8).join(', ')}${train.classes!.length > 8 ? ', ...' : ''})`,
      );
    return k;
  });
  return Int32Array.from(test.labels, (l) => map[l]);
}

/** Standardization for vector data: fit on the training rows, saved with the model. */
export function fitScaling(x: Matrix): { mean: number[]; std: number[] } {
  const s = fitStandardizer(x);
  return { mean: Array.from(s.mean), std: Array.from(s.std) };
}

export function applyScaling(x: Matrix, s: { mean: number[]; std: number[] } | undefined): Matrix {
  if (!s) return x;
  const st: Standardizer = { mean: Float32Array.from(s.mean), std: Float32Array.from(s.std) };
  return standardize(x, st);
}
