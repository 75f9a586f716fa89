// Parity of the deterministic image ops with torchvision 0.14 (../shared/reference/augment,
// vendored in test/reference/augment): every float32 case of the ops this library implements,
// each checked against the README's tolerance for its op, on both kernel builds.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../packages/contrastive/src/index.node.js';

const dir = new URL('./reference/augment/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'));

interface Case {
  name: string;
  op: string;
  dtype: string;
  params: Record<string, any>;
  input_shape: number[];
  input: number[];
  output_shape: number[];
  output: number[];
  output_dtype: string;
  derived?: Record<string, any>;
}

function load(file: string): Case[] {
  const text = readFileSync(new URL(file, dir));
  expect(text.length).toBe(manifest.files[file].bytes);
  expect(createHash('sha256').update(text).digest('hex')).toBe(manifest.files[file].sha256);
  return JSON.parse(text.toString('utf8')).cases;
}

const batch = (c: Case): lib.ImageBatch => {
  const [ch, h, w] = c.input_shape;
  return { data: Float32Array.from(c.input), n: 1, channels: ch as 1 | 3, height: h, width: w };
};

/** Runs a case; undefined = an op (or variant) this library does not implement. */
function run(c: Case): Float32Array | undefined {
  const x = batch(c);
  const p = c.params;
  switch (c.op) {
    case 'resize':
      if (p.interpolation !== 'bilinear' || p.antialias) return undefined;
      return lib.resize(x, p.size).data;
    case 'resized_crop':
      if (p.antialias) return undefined;
      return lib.resizedCrop(x, { top: p.top, left: p.left, height: p.height, width: p.width }, p.size).data;
    case 'hflip':
      return lib.hflip(x).data;
    case 'vflip':
      return lib.vflip(x).data;
    case 'rotate':
      if (p.expand) return undefined;
      return lib.rotate(x, p.angle, { interpolation: p.interpolation, fill: p.fill ?? null, center: p.center ?? undefined }).data;
    case 'affine':
      return lib.affine(
        x,
        { angle: p.angle, translate: p.translate, scale: p.scale, shear: typeof p.shear === 'number' ? [p.shear, 0] : p.shear, center: p.center ?? undefined },
        { interpolation: p.interpolation, fill: p.fill ?? null },
      ).data;
    case 'adjust_brightness':
      return lib.adjustBrightness(x, p.brightness_factor).data;
    case 'adjust_contrast':
      return lib.adjustContrast(x, p.contrast_factor).data;
    case 'adjust_saturation':
      return lib.adjustSaturation(x, p.saturation_factor).data;
    case 'adjust_hue':
      return lib.adjustHue(x, p.hue_factor).data;
    case 'rgb_to_grayscale':
      if (p.num_output_channels !== 3 && x.channels === 3) return undefined; // 1-channel output: not an op here
      return lib.grayscale(x).data;
    case 'color_jitter_fixed': {
      if (p.then_grayscale_3ch) return undefined;
      return lib.adjustColor(x, {
        brightness: p.brightness_factor,
        contrast: p.contrast_factor,
        saturation: p.saturation_factor,
        hue: p.hue_factor,
        order: p.fn_order,
      }).data;
    }
    case 'gaussian_blur':
      if (p.kernel_size[0] !== p.kernel_size[1] || (p.sigma && p.sigma[0] !== p.sigma[1])) return undefined;
      return lib.blur(x, p.kernel_size[0], p.sigma ? p.sigma[0] : undefined).data;
    case 'solarize':
      return lib.solarize(x, p.threshold).data;
    case 'normalize':
      return lib.normalize(x, p.mean, p.std).data;
    case 'erase': {
      const v = p.v.values.length === 1 ? p.v.values[0] : p.v.values;
      if (Array.isArray(v) && v.length !== x.channels) return undefined; // a [C, h, w] value tensor
      return lib.erase(x, { top: p.i, left: p.j, height: p.h, width: p.w }, v).data;
    }
    default:
      return undefined;
  }
}

function tolerance(op: string): number {
  if (['hflip', 'vflip', 'erase', 'solarize'].includes(op)) return 0;
  if (op.startsWith('adjust_') || op === 'rgb_to_grayscale' || op === 'color_jitter_fixed' || op === 'normalize') return 2e-6;
  return 1e-5;
}

const files = ['geometry.json', 'color.json', 'blur.json', 'misc.json'];
const counts = { checked: 0, skipped: [] as string[] };

for (const variant of ['simd128', 'relaxed'] as const) {
  describe(`torchvision parity (${variant})`, () => {
    beforeAll(() => lib.init({ variant }));
    for (const file of files) {
      it(`${file}: every float32 case within its tolerance`, () => {
        const failures: string[] = [];
        for (const c of load(file)) {
          if (c.dtype !== 'float32' || c.output_dtype !== 'float32') continue;
          const got = run(c);
          if (!got) {
            if (variant === 'simd128') counts.skipped.push(c.name);
            continue;
          }
          if (variant === 'simd128') counts.checked++;
          if (got.length !== c.output.length) {
            failures.push(`${c.name}: ${got.length} values, expected ${c.output.length}`);
            continue;
          }
          const mask = new Set<number>();
          const amb = c.derived?.nearest_ambiguous_hw as number[] | undefined;
          if (amb) {
            const hw = c.output_shape[1] * c.output_shape[2];
            for (let ch = 0; ch < c.output_shape[0]; ch++) for (const p of amb) mask.add(ch * hw + p);
          }
          const tol = tolerance(c.op);
          let worst = 0,
            at = -1;
          for (let i = 0; i < got.length; i++) {
            if (mask.has(i)) continue;
            const d = Math.abs(got[i] - Math.fround(c.output[i]));
            if (d > worst) {
              worst = d;
              at = i;
            }
          }
          if (!(worst <= tol)) failures.push(`${c.name}: max |diff| ${worst} at ${at} > ${tol}`);
        }
        expect(failures).toEqual([]);
      });
    }
  });
}

afterAll(() => {
  // the ops the library leaves out, so a reader sees what parity does not cover
  console.log(`augment parity: ${counts.checked} float32 cases checked; not implemented: ${counts.skipped.join(', ')}`);
});
