// The two ONNX runtimes the export tests run graphs with, and the onnx.checker pass, shared by
// the ONNX export suites in Node.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, type TestContext } from 'vitest';

const require = createRequire(import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: the runtimes' module types are not needed here
export type Ort = any;

/**
 * onnxruntime-web (its wasm build, in this process: one thread, no proxy worker, its .wasm files
 * from node_modules, errors only) and onnxruntime-node.
 */
export async function loadOrt(): Promise<{ web: Ort; node: Ort }> {
  const webModule: Ort = await import('onnxruntime-web');
  const web = webModule.default ?? webModule;
  web.env.wasm.numThreads = 1;
  web.env.wasm.proxy = false;
  web.env.wasm.wasmPaths = pathToFileURL(dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')) + sep).href;
  web.env.logLevel = 'error';
  const nodeModule: Ort = await import('onnxruntime-node');
  return { web, node: nodeModule.default ?? nodeModule };
}

/**
 * Expects onnx.checker.check_model (full check) to accept every graph `graphs` returns; skips the
 * test where python3 has no onnx module (before making the graphs).
 */
export function expectOnnxCheckerPasses(ctx: TestContext, graphs: () => Uint8Array[]): void {
  const py = spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { encoding: 'utf8' });
  if (py.status !== 0) ctx.skip();
  const dir = mkdtempSync(join(tmpdir(), 'onnx-check-'));
  const files = graphs().map((bytes, i) => {
    const f = join(dir, `m${i}.onnx`);
    writeFileSync(f, bytes);
    return f;
  });
  const r = spawnSync(
    '/usr/bin/python3',
    ['-c', 'import onnx, sys\nfor f in sys.argv[1:]: onnx.checker.check_model(onnx.load(f), full_check=True)\nprint("ok")', ...files],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('ok');
}
