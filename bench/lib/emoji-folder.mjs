// The Noto emoji that the npm package emoji-datasource-google ships (64x64 PNGs) as an image
// folder: one subfolder per Unicode category, shared by bench/emoji-quality.mjs and
// bench/emoji-idx.mjs so that both see the same images.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const sharp = createRequire(new URL('../../packages/contrastive/package.json', import.meta.url))('sharp');

/**
 * Writes the emoji of the package at `pkg` into `dir/<category>/<image>`, flattened onto white:
 * every top-level entry of its emoji.json with a Google image, except the "Component" category
 * (skin-tone variants are nested entries, so they are not among them). Returns those entries.
 */
export async function writeEmojiFolder(pkg, dir) {
  const emoji = JSON.parse(readFileSync(join(pkg, 'emoji.json'), 'utf8')).filter((e) => e.has_img_google && e.category !== 'Component');
  for (const e of emoji) {
    const cls = e.category.replace(/[^A-Za-z]+/g, '-');
    mkdirSync(join(dir, cls), { recursive: true });
    await sharp(join(pkg, 'img', 'google', '64', e.image))
      .flatten({ background: '#ffffff' })
      .png()
      .toFile(join(dir, cls, e.image));
  }
  return emoji;
}
