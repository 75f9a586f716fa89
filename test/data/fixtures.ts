// Real image files for the data tests: MNIST digits (from the mnist package the CLI ships) as PNG
// and JPEG folders, and RGB images made here, written with sharp.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const requireCli = createRequire(new URL('../../packages/cli/package.json', import.meta.url));
const requireLib = createRequire(new URL('../../packages/contrastive/package.json', import.meta.url));
/** sharp, resolved from the package that has it as a dev dependency (typed loosely: tests only). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const sharp = requireLib('sharp') as (input?: unknown, opts?: unknown) => any;

/** `perClass` 28x28 uint8 digits of each class 0..9 (the first of each class file). */
export function mnistDigits(perClass: number, from = 0): { images: Uint8Array; labels: Int32Array } {
  const dir = join(dirname(requireCli.resolve('mnist/package.json')), 'src', 'digits');
  const images = new Uint8Array(10 * perClass * 784);
  const labels = new Int32Array(10 * perClass);
  for (let d = 0; d < 10; d++) {
    const data = (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data;
    for (let i = 0; i < perClass; i++) {
      for (let p = 0; p < 784; p++) images[(d * perClass + i) * 784 + p] = Math.round(data[(from + i) * 784 + p] * 255);
      labels[d * perClass + i] = d;
    }
  }
  return { images, labels };
}

/** Writes digits as dir/<digit>/<i>.<ext> (grayscale PNG or JPEG); returns what it wrote. */
export async function writeDigitFolder(dir: string, perClass: number, ext: 'png' | 'jpg', from = 0) {
  const { images, labels } = mnistDigits(perClass, from);
  for (let i = 0; i < labels.length; i++) {
    const sub = join(dir, String(labels[i]));
    mkdirSync(sub, { recursive: true });
    const img = sharp(Buffer.from(images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } });
    writeFileSync(join(sub, `${String(i).padStart(4, '0')}.${ext}`), await (ext === 'png' ? img.png() : img.jpeg({ quality: 95 })).toBuffer());
  }
  return { images, labels };
}

/**
 * RGB images of two classes that only colour and layout tell apart: 'warm' (a red-orange disc on a
 * dark blue ground) and 'cool' (a cyan-green bar on a yellow ground), each with seeded jitter in
 * position, size and shade. `w` x `h` pixels; PNG, JPEG or WebP.
 */
export async function writeRgbFolder(dir: string, perClass: number, size: [number, number], ext: 'png' | 'jpg' | 'webp', seed = 1) {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const [w, h] = size;
  for (const cls of ['cool', 'warm']) {
    mkdirSync(join(dir, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const px = Buffer.alloc(w * h * 3);
      const cx = w * (0.3 + 0.4 * rand());
      const cy = h * (0.3 + 0.4 * rand());
      const r = Math.min(w, h) * (0.15 + 0.15 * rand());
      const shade = Math.floor(40 * rand());
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const o = 3 * (y * w + x);
          const inside = cls === 'warm' ? (x - cx) ** 2 + (y - cy) ** 2 < r * r : Math.abs(y - cy) < r / 2;
          const c =
            cls === 'warm'
              ? inside
                ? [230 - shade, 90 + shade, 30]
                : [20, 30 + shade, 120]
              : inside
                ? [30, 200 - shade, 160 + shade]
                : [220 - shade, 210, 60];
          px[o] = c[0];
          px[o + 1] = c[1];
          px[o + 2] = c[2];
        }
      }
      const img = sharp(px, { raw: { width: w, height: h, channels: 3 } });
      const enc = ext === 'png' ? img.png() : ext === 'jpg' ? img.jpeg({ quality: 90 }) : img.webp({ quality: 90 });
      writeFileSync(join(dir, cls, `${cls}-${i}.${ext}`), await enc.toBuffer());
    }
  }
}
