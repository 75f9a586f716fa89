// Image folders in Node (sharp): real PNG / JPEG / WebP files, and the files that break loaders.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from '../../packages/contrastive/src/augment/png.js';
import { decodeImage, listImageFiles, loadImageFolder, loadSharp } from '../../packages/contrastive/src/data/node-images.js';
import { ContrastiveError, imageTrainData, init, toImageBatch, uint8ImageTrainData, presets } from '../../packages/contrastive/src/index.node.js';
import { mnistDigits, sharp, writeDigitFolder, writeRgbFolder } from './fixtures.js';
import { HEIGHT, orientedJpeg, WIDTH } from '../fixtures/exif/generate.mjs';

const dir = mkdtempSync(join(tmpdir(), 'contrastive-images-'));
const at = (...p: string[]) => join(dir, ...p);

async function rejects(p: Promise<unknown>, code: string, ...words: string[]) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a rejection').toBeInstanceOf(ContrastiveError);
  expect((e as ContrastiveError).code).toBe(code);
  for (const w of words) expect((e as Error).message).toContain(w);
}

/** A valid 1x1 PNG whose IHDR then claims width x height (CRC fixed, so only the size is wrong). */
async function pngClaiming(width: number, height: number): Promise<Uint8Array> {
  const png = new Uint8Array(
    await sharp(Buffer.from([1, 2, 3]), { raw: { width: 1, height: 1, channels: 3 } })
      .png()
      .toBuffer(),
  );
  const v = new DataView(png.buffer, png.byteOffset);
  v.setUint32(16, width);
  v.setUint32(20, height);
  v.setUint32(29, crc32(png.subarray(12, 29)));
  return png;
}

beforeAll(async () => {
  await init();
  await writeDigitFolder(at('digits-png'), 3, 'png');
  await writeDigitFolder(at('digits-jpg'), 3, 'jpg');
  await writeRgbFolder(at('rgb'), 4, [48, 32], 'jpg');
  await writeRgbFolder(at('rgb-webp'), 2, [20, 20], 'webp');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadImageFolder', () => {
  it('a PNG folder of MNIST digits loads bit-exact, labeled by subfolder, in sorted order', async () => {
    const { images, labels } = mnistDigits(3);
    const progress: number[] = [];
    const set = await loadImageFolder(at('digits-png'), { channels: 1, onProgress: (e) => progress.push(e.done) });
    expect([set.n, set.height, set.width, set.channels]).toEqual([30, 28, 28, 1]);
    expect(set.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(Array.from(set.labels!)).toEqual(Array.from(labels));
    expect(set.files[0]).toBe('0/0000.png');
    expect(Buffer.from(set.data).equals(Buffer.from(images))).toBe(true);
    expect(progress.length).toBe(30);
    expect(Math.max(...progress)).toBe(30);
  });

  it('a JPEG folder decodes close to the digits it was written from (lossy, so not exact)', async () => {
    const { images } = mnistDigits(3);
    const set = await loadImageFolder(at('digits-jpg'), { channels: 1 });
    let err = 0;
    for (let i = 0; i < images.length; i++) err += Math.abs(set.data[i] - images[i]);
    expect(err / images.length).toBeLessThan(4);
    expect(err).toBeGreaterThan(0);
  });

  it('grayscale files load as RGB with three equal channels; RGB files load as grayscale with one', async () => {
    const rgb = await loadImageFolder(at('digits-png'), { channels: 3 });
    expect(rgb.channels).toBe(3);
    for (let p = 0; p < 784; p += 97) expect([rgb.data[3 * p + 1], rgb.data[3 * p + 2]]).toEqual([rgb.data[3 * p], rgb.data[3 * p]]);
    const gray = await loadImageFolder(at('rgb'), { channels: 1, size: 16 });
    expect([gray.channels, gray.data.length]).toEqual([1, 8 * 16 * 16]);
  });

  it("'crop' keeps the center of a wide image, 'exact' squeezes all of it", async () => {
    // 40x10: left quarter red, middle half green, right quarter blue
    const w = 40,
      h = 10;
    const px = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px[3 * (y * w + x) + (x < 10 ? 0 : x < 30 ? 1 : 2)] = 255;
    mkdirSync(at('wide'), { recursive: true });
    writeFileSync(
      at('wide', 'a.png'),
      await sharp(px, { raw: { width: w, height: h, channels: 3 } })
        .png()
        .toBuffer(),
    );
    const crop = await loadImageFolder(at('wide'), { size: 8 });
    expect(crop.labels).toBeUndefined();
    // the center crop is all green
    for (let p = 0; p < 64; p++) expect(crop.data[3 * p + 1]).toBeGreaterThan(200);
    const exact = await loadImageFolder(at('wide'), { size: 8, resize: 'exact' });
    expect(exact.data[0]).toBeGreaterThan(200); // left column red
    expect(exact.data[3 * 7 + 2]).toBeGreaterThan(200); // right column blue
  });

  it('WebP files load; files of other extensions and hidden files are not images of the folder', async () => {
    writeFileSync(at('rgb-webp', 'cool', 'notes.txt'), 'not an image');
    writeFileSync(at('rgb-webp', 'cool', '.hidden.png'), 'not an image either');
    expect(await listImageFiles(at('rgb-webp'))).toEqual(['cool/cool-0.webp', 'cool/cool-1.webp', 'warm/warm-0.webp', 'warm/warm-1.webp']);
    const set = await loadImageFolder(at('rgb-webp'));
    expect([set.n, set.height, set.width, set.channels]).toEqual([4, 20, 20, 3]);
    expect(set.classes).toEqual(['cool', 'warm']);
  });

  it('images of different sizes without a size option are an error naming the odd file', async () => {
    mkdirSync(at('mixed', 'a'), { recursive: true });
    copyFileSync(at('rgb', 'cool', 'cool-0.jpg'), at('mixed', 'a', '1.jpg'));
    copyFileSync(at('rgb-webp', 'cool', 'cool-0.webp'), at('mixed', 'a', '2.webp'));
    await rejects(loadImageFolder(at('mixed')), 'SHAPE_MISMATCH', 'a/2.webp', '20x20', 'size');
    expect((await loadImageFolder(at('mixed'), { size: 12 })).n).toBe(2);
  });

  it('some images at the top and some in class folders is an error, not a silent label scheme', async () => {
    copyFileSync(at('rgb', 'cool', 'cool-0.jpg'), at('mixed', 'top.jpg'));
    await rejects(loadImageFolder(at('mixed'), { size: 12 }), 'INVALID_ARGUMENT', 'top.jpg', 'labels: false');
    expect((await loadImageFolder(at('mixed'), { size: 12, labels: false })).labels).toBeUndefined();
  });
});

describe('EXIF orientation', () => {
  /** The red corner is top-left and the blue one bottom-right, as the upright image has them. */
  const upright = (img: { data: Uint8Array; width: number; height: number }) => {
    const px = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
    const [r, , b] = px(0, 0);
    const [r2, , b2] = px(img.width - 1, img.height - 1);
    return r > 200 && b < 60 && b2 > 200 && r2 < 60;
  };

  it('JPEGs stored rotated (orientation 3, 6, 8) load upright, as a viewer shows them', async () => {
    mkdirSync(at('exif'), { recursive: true });
    for (const o of [1, 3, 6, 8] as const) {
      const bytes = await orientedJpeg(o);
      expect((await sharp(bytes).metadata()).orientation).toBe(o);
      writeFileSync(at('exif', `o${o}.jpg`), bytes);
      const img = await decodeImage(bytes);
      expect([img.width, img.height], `orientation ${o}`).toEqual([WIDTH, HEIGHT]);
      expect(upright(img), `orientation ${o}`).toBe(true);
    }
    // the folder loader and resizing see the upright image too (the turn comes before the resize)
    const set = await loadImageFolder(at('exif'), { size: [8, 12], resize: 'exact' });
    expect(set.files).toEqual(['o1.jpg', 'o3.jpg', 'o6.jpg', 'o8.jpg']);
    for (let i = 0; i < set.n; i++)
      expect(upright({ data: set.data.subarray(i * 8 * 12 * 3, (i + 1) * 8 * 12 * 3), width: 12, height: 8 }), set.files[i]).toBe(true);
  });

  it('the committed orientation fixtures (what the Chromium test reads) load upright', async () => {
    for (const o of [3, 6, 8]) {
      const img = await decodeImage(new URL(`../fixtures/exif/o${o}.jpg`, import.meta.url).pathname);
      expect([img.width, img.height, upright(img)]).toEqual([WIDTH, HEIGHT, true]);
    }
  });
});

describe('broken image files', () => {
  const bad = async (name: string, bytes: Uint8Array | string) => {
    const d = mkdtempSync(join(dir, 'bad-'));
    mkdirSync(join(d, 'x'));
    copyFileSync(at('digits-png', '0', '0000.png'), join(d, 'x', 'good-1.png'));
    copyFileSync(at('digits-png', '1', '0003.png'), join(d, 'x', 'good-2.png'));
    writeFileSync(join(d, 'x', name), bytes);
    return d;
  };
  const jpeg = () => readFileSync(at('digits-jpg', '3', '0009.jpg'));

  for (const [what, name, bytes] of [
    ['a corrupt file (random bytes)', 'corrupt.png', () => Uint8Array.from({ length: 300 }, (_, i) => (i * 7919) % 251)],
    ['a truncated JPEG', 'cut.jpg', () => jpeg().subarray(0, Math.floor(jpeg().length / 2))],
    ['a zero-byte file', 'empty.png', () => new Uint8Array(0)],
    ['a text file named .png', 'text.png', () => 'hello, I am not a PNG'],
    ['a PNG whose header claims 100000 x 100000 pixels', 'huge.png', () => new Uint8Array(0)],
  ] as const) {
    it(`${what} is a ContrastiveError naming the file, or skipped with a warning when asked`, async () => {
      const content = name === 'huge.png' ? await pngClaiming(100000, 100000) : bytes();
      const d = await bad(name, content);
      await rejects(loadImageFolder(d, { channels: 1 }), 'INVALID_ARGUMENT', `x/${name}`);
      const warnings: string[] = [];
      const set = await loadImageFolder(d, { channels: 1, onError: 'skip', onWarning: (m) => warnings.push(m) });
      expect(set.n).toBe(2);
      expect(set.files).toEqual(['x/good-1.png', 'x/good-2.png']);
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toContain(`x/${name}`);
    });
  }

  it('the pixel limit is an option: a 3000 x 3000 claim passes the default and fails maxPixels 1e6', async () => {
    const d = await bad('big.png', await pngClaiming(3000, 3000));
    await rejects(loadImageFolder(d, { channels: 1, maxPixels: 1_000_000 }), 'INVALID_ARGUMENT', 'x/big.png', 'maxPixels');
  });

  it('a JPEG named .png decodes by its content', async () => {
    const d = await bad('really-a-jpeg.png', jpeg());
    expect((await loadImageFolder(d, { channels: 1 })).n).toBe(3);
  });

  it('a folder with no images, or a path that is not a folder, is an error naming it', async () => {
    mkdirSync(at('none'));
    writeFileSync(at('none', 'a.txt'), 'x');
    await rejects(loadImageFolder(at('none')), 'INVALID_ARGUMENT', 'none', '.png');
    await rejects(loadImageFolder(at('none', 'a.txt')), 'INVALID_ARGUMENT', 'not a folder');
    await rejects(loadImageFolder(at('missing')), 'INVALID_ARGUMENT', 'ENOENT');
  });

  it('without sharp installed the error names the package to install', async () => {
    await rejects(loadSharp('sharp-is-not-installed-here'), 'MISSING_DEPENDENCY', 'npm install sharp');
  });

  it('decodeImage takes bytes or a path; an empty byte array is an error', async () => {
    const img = await decodeImage(readFileSync(at('rgb', 'warm', 'warm-0.jpg')), { size: [8, 12] });
    expect([img.height, img.width, img.channels, img.data.length]).toEqual([8, 12, 3, 288]);
    expect((await decodeImage(at('rgb', 'warm', 'warm-0.jpg'))).width).toBe(48);
    await rejects(decodeImage(new Uint8Array(0), { name: 'z.png' }), 'INVALID_ARGUMENT', 'z.png', '0 bytes');
  });
});

describe('uint8 images as training data', () => {
  it('uint8ImageTrainData gives the same views as imageTrainData of the float batch', async () => {
    const set = await loadImageFolder(at('rgb'), { size: 16 });
    const pipe = presets['simclr-cifar10']({ size: 16 });
    const a = uint8ImageTrainData(set, pipe, { seed: 3 }).views(Int32Array.of(5, 0, 7, 2), 11);
    const b = imageTrainData(toImageBatch(set), pipe, { seed: 3 }).views(Int32Array.of(5, 0, 7, 2), 11);
    expect(a[0].shape).toEqual([4, 3 * 16 * 16]);
    expect(
      Buffer.from(a[0].data.buffer, a[0].data.byteOffset, a[0].data.byteLength).equals(
        Buffer.from(b[0].data.buffer, b[0].data.byteOffset, b[0].data.byteLength),
      ),
    ).toBe(true);
    expect(Array.from(a[1].data)).toEqual(Array.from(b[1].data));
  });
});
