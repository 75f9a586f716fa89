// A second RGB folder of different content, to check that the default recipe is not tuned to
// emoji: seeded synthetic scenes of 6 shape classes (disc, square, triangle, ring, cross, stripes),
// 150 each, 48x48 PNGs rendered with sharp from SVG. Colours of shape and ground are drawn
// independently of the class, as are position, size, rotation and a second distractor blob, so
// only the shape tells the class. Then bench/folder-quality.mjs's runs.
//
//   node bench/shapes-quality.mjs [--image-size 32] [--seeds 0,1,2] [--threads 2] [--keep DIR]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs, folderQuality } from './folder-quality.mjs';

const sharp = createRequire(new URL('../packages/contrastive/package.json', import.meta.url))('sharp');
const argv = process.argv.slice(2);
const keep = argv.indexOf('--keep') >= 0 ? argv[argv.indexOf('--keep') + 1] : undefined;
const dir = keep ?? mkdtempSync(join(tmpdir(), 'contrastive-shapes-'));

let s = 12345;
const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
const colour = () => `hsl(${Math.floor(360 * rand())},${50 + Math.floor(50 * rand())}%,${25 + Math.floor(50 * rand())}%)`;
const S = 48;
const shapes = {
  disc: (r) => `<circle cx="0" cy="0" r="${r}"/>`,
  square: (r) => `<rect x="${-r}" y="${-r}" width="${2 * r}" height="${2 * r}"/>`,
  triangle: (r) => `<polygon points="0,${-r} ${0.87 * r},${0.5 * r} ${-0.87 * r},${0.5 * r}"/>`,
  ring: (r) => `<circle cx="0" cy="0" r="${0.75 * r}" fill="none" stroke-width="${0.4 * r}" stroke="currentColor"/>`,
  cross: (r) =>
    `<rect x="${-r}" y="${-0.25 * r}" width="${2 * r}" height="${0.5 * r}"/><rect x="${-0.25 * r}" y="${-r}" width="${0.5 * r}" height="${2 * r}"/>`,
  stripes: (r) => [-1, 0, 1].map((k) => `<rect x="${-r}" y="${k * 0.7 * r - 0.18 * r}" width="${2 * r}" height="${0.36 * r}"/>`).join(''),
};
for (const [cls, draw] of Object.entries(shapes)) {
  mkdirSync(join(dir, cls), { recursive: true });
  for (let i = 0; i < 150; i++) {
    const fg = colour();
    const r = S * (0.18 + 0.14 * rand());
    const [cx, cy] = [S * (0.3 + 0.4 * rand()), S * (0.3 + 0.4 * rand())];
    const blob = `<ellipse cx="${S * rand()}" cy="${S * rand()}" rx="${3 + 5 * rand()}" ry="${3 + 5 * rand()}" fill="${colour()}"/>`;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${S}" height="${S}"><rect width="${S}" height="${S}" fill="${colour()}"/>${blob}<g transform="translate(${cx},${cy}) rotate(${Math.floor(360 * rand())})" fill="${fg}" color="${fg}">${draw(r)}</g></svg>`;
    await sharp(Buffer.from(svg))
      .png()
      .toFile(join(dir, cls, `${cls}-${String(i).padStart(3, '0')}.png`));
  }
}
console.log(`${6 * 150} shapes in 6 classes -> ${dir}`);
folderQuality(dir, { ...benchArgs(argv.filter((a, i, all) => a !== '--keep' && all[i - 1] !== '--keep')), label: 'synthetic shapes' });
if (!keep) rmSync(dir, { recursive: true, force: true });
