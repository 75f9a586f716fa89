// Extracts the handful of reference cases the edge smoke runs into test/edge/cases.json, so the
// edge runtimes (workerd has no file system) get them as a JSON module. Run at test time:
//   node test/edge/make-cases.mjs [out.json]
// The output is generated, not committed (see .gitignore here).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const REFERENCE_DIR = resolve(here, '../reference');

export const FAMILIES = ['ntxent', 'infonce', 'infonce_symmetric', 'infonce_negatives', 'supcon'];

/**
 * Per family: a hand case (N=2, D=3), a random case with D % 4 != 0 (the SIMD tail), and the
 * tau = 0.01 aligned case (every logit ~ 100: overflows without max-subtraction).
 */
export const CASE_NAMES = ['hand_n2_d3_tau0.5', 'rand_n6_d17_tau0.5_random', 'tau0.01_aligned'];

/** Returns { family: [case, ...] } with only the fields the smoke needs. */
export function selectCases(referenceDir = REFERENCE_DIR) {
  const out = {};
  for (const family of FAMILIES) {
    const all = JSON.parse(readFileSync(resolve(referenceDir, `${family}.json`), 'utf8'));
    out[family] = CASE_NAMES.map((name) => {
      const c = all.find((x) => x.name === name);
      if (!c) throw new Error(`make-cases: ${family}.json has no case ${name}`);
      if (name.startsWith('rand_') && c.D % 4 === 0) throw new Error(`make-cases: ${family}/${name} has D % 4 == 0`);
      const picked = {
        name: c.name,
        loss: c.loss,
        tau: c.tau,
        N: c.N,
        D: c.D,
        shapes: c.shapes,
        tags: c.tags,
        inputs: c.inputs,
        loss_value: c.loss_value,
        grads: c.grads,
        tol: c.tol,
      };
      if (c.labels) picked.labels = c.labels;
      if (c.cos) picked.cos = c.cos;
      return picked;
    });
  }
  return out;
}

/** Writes the selection to `outPath` (default test/edge/cases.json) and returns the path. */
export function makeCases(outPath = resolve(here, 'cases.json'), referenceDir = REFERENCE_DIR) {
  // Written aside and renamed: a concurrent run never reads half a file.
  const tmp = `${outPath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(selectCases(referenceDir)));
  renameSync(tmp, outPath);
  return outPath;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const p = makeCases(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`make-cases: wrote ${p}`);
}
