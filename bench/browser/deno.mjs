// Deno side of `pnpm bench:browser`: node_modules/.bin/deno run --allow-read bench/browser/deno.mjs
import * as pkg from '../../packages/contrastive/dist/index.js';
import { runAll } from './common.mjs';

const runs = Number(Deno.args[0] ?? 7);
const loadBytes = (v) => Deno.readFile(new URL(`../../packages/contrastive/wasm/contrastive-${v}.wasm`, import.meta.url));
const r = await runAll(pkg, loadBytes, { runs, gemmRuns: runs, log: (s) => console.error(s) });
console.log(JSON.stringify({ ok: true, deno: Deno.version, ...r }));
