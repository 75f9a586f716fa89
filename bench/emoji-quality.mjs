// Quality on a real RGB image folder: the Noto emoji that the npm package emoji-datasource-google
// ships (64x64 PNGs), one folder per Unicode category (Smileys & Emotion, People & Body, Animals &
// Nature, Food & Drink, Travel & Places, Activities, Objects, Symbols, Flags; skin-tone variants
// and the 5 "Component" images left out), flattened onto white. The default CLI recipe
// (`contrastive train --data DIR --val-split 0.2`) against raw pixels, linear probe and kNN on
// the same held-out 20% (`contrastive eval --data DIR --val-split 0.2`, same seed, same split).
//
//   npm i --prefix /tmp/emoji emoji-datasource-google@16.0.0
//   node bench/emoji-quality.mjs /tmp/emoji/node_modules/emoji-datasource-google [--image-size 32] [--seeds 0,1,2] [--threads 2] [--keep DIR]
// (--keep DIR: write the folder there and leave it; the runs are bench/folder-quality.mjs's)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs, folderQuality } from './folder-quality.mjs';
import { writeEmojiFolder } from './lib/emoji-folder.mjs';

const pkg = process.argv[2];
if (!pkg || !existsSync(join(pkg, 'emoji.json')))
  throw new Error('usage: node bench/emoji-quality.mjs <path of emoji-datasource-google> [--image-size N] [--seeds 0,1,2] [--keep DIR]');
const keep = process.argv.indexOf('--keep') > 0 ? process.argv[process.argv.indexOf('--keep') + 1] : undefined;

const dir = keep ?? mkdtempSync(join(tmpdir(), 'contrastive-emoji-'));
const emoji = await writeEmojiFolder(pkg, dir);
console.log(`${emoji.length} emoji in ${new Set(emoji.map((e) => e.category)).size} classes -> ${dir}`);
folderQuality(dir, { ...benchArgs(process.argv.slice(3).filter((a, i, all) => a !== '--keep' && all[i - 1] !== '--keep')), label: 'Noto emoji by category' });
if (!keep) rmSync(dir, { recursive: true, force: true });
