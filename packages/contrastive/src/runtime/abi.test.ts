// The TS table of the kernels' exports (runtime/abi/*.ts) against what the four built modules
// really export: names, kinds and parameter counts, read from the binaries' type, import,
// function and export sections (WebAssembly.Module.exports gives names and kinds, not arities).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ExportShape, KERNEL_EXPORTS, LINKER_EXPORTS, missingExports, THREAD_EXPORTS } from './abi.js';

type Shape = ExportShape | 'table';

interface ModuleSummary {
  exports: Record<string, Shape>;
  imports: { module: string; name: string; kind: 'function' | 'table' | 'memory' | 'global'; shared?: boolean }[];
}

/** Names, kinds and arities of a module's exports, and its imports, from the binary. */
function summarize(bytes: Uint8Array): ModuleSummary {
  let at = 0;
  const byte = () => bytes[at++];
  const uleb = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = byte();
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return v;
    }
  };
  const name = () => {
    const len = uleb();
    const s = new TextDecoder().decode(bytes.subarray(at, at + len));
    at += len;
    return s;
  };
  const limits = () => {
    const flags = byte();
    uleb();
    if (flags & 1) uleb();
    return { shared: (flags & 2) !== 0 };
  };
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error('not a wasm module');
  at = 8;
  const types: number[] = []; // parameter count per function type
  const funcTypes: number[] = []; // type index per function (imports first)
  const out: ModuleSummary = { exports: {}, imports: [] };
  while (at < bytes.length) {
    const id = byte();
    const size = uleb();
    const end = at + size;
    if (id === 1) {
      for (let n = uleb(); n > 0; n--) {
        if (byte() !== 0x60) throw new Error('unexpected type form');
        const params = uleb();
        at += params; // one byte per value type (numbers, v128, funcref, externref)
        types.push(params);
        const results = uleb();
        at += results;
      }
    } else if (id === 2) {
      for (let n = uleb(); n > 0; n--) {
        const module = name();
        const field = name();
        const kind = byte();
        if (kind === 0) {
          funcTypes.push(uleb());
          out.imports.push({ module, name: field, kind: 'function' });
        } else if (kind === 1) {
          byte();
          limits();
          out.imports.push({ module, name: field, kind: 'table' });
        } else if (kind === 2) {
          out.imports.push({ module, name: field, kind: 'memory', ...limits() });
        } else {
          at += 2;
          out.imports.push({ module, name: field, kind: 'global' });
        }
      }
    } else if (id === 3) {
      for (let n = uleb(); n > 0; n--) funcTypes.push(uleb());
    } else if (id === 7) {
      for (let n = uleb(); n > 0; n--) {
        const field = name();
        const kind = byte();
        const index = uleb();
        out.exports[field] = kind === 0 ? types[funcTypes[index]] : (['table', 'memory', 'global'] as const)[kind - 1];
      }
    }
    at = end;
  }
  return out;
}

/** What a build must export: the tables (the threads builds add theirs and import their memory). */
function expected(threads: boolean): Record<string, Shape> {
  const want: Record<string, Shape> = { ...KERNEL_EXPORTS, ...(threads ? THREAD_EXPORTS : {}) };
  if (threads) delete want.memory;
  for (const g of LINKER_EXPORTS) want[g] = 'global';
  return want;
}

/** One line per difference between a module's exports and the table. */
function differences(actual: Record<string, Shape>, want: Record<string, Shape>): string[] {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(want)) {
    if (!(k in actual)) lines.push(`${k}: in the TS table (${String(v)}), not exported by the module`);
    else if (actual[k] !== v) lines.push(`${k}: the TS table says ${String(v)}, the module has ${String(actual[k])}`);
  }
  for (const [k, v] of Object.entries(actual)) {
    if (!(k in want)) lines.push(`${k}: exported by the module (${String(v)}), missing from the TS table`);
  }
  return lines;
}

const BUILDS = ['simd128', 'relaxed', 'simd128-threads', 'relaxed-threads'] as const;

describe('the TS export table matches the built modules', () => {
  for (const build of BUILDS) {
    it(`contrastive-${build}.wasm exports exactly the table's names with the table's arities`, () => {
      const bytes = readFileSync(new URL(`../../wasm/contrastive-${build}.wasm`, import.meta.url));
      const m = summarize(bytes);
      const threads = build.endsWith('-threads');
      expect(differences(m.exports, expected(threads))).toEqual([]);
      // the threads builds take their (shared) memory from the host instead of exporting it
      const memoryImports = m.imports.filter((i) => i.kind === 'memory');
      expect(memoryImports).toEqual(threads ? [{ module: 'env', name: 'memory', kind: 'memory', shared: true }] : []);
      expect(m.imports.filter((i) => i.kind !== 'memory')).toEqual([]);
    });
  }

  it('a module exporting one function more or with another arity than the table is reported', () => {
    // (module (memory (export "memory") 1) (func (export "ct_alloc") (param i32 i32) (result i32) i32.const 0)
    //         (func (export "ct_new_kernel") (param i32)))
    const str = (t: string) => [t.length, ...[...t].map((c) => c.charCodeAt(0))];
    const section = (id: number, body: number[]) => [id, body.length, ...body];
    const mod = new Uint8Array([
      0,
      0x61,
      0x73,
      0x6d,
      1,
      0,
      0,
      0,
      ...section(1, [2, 0x60, 2, 0x7f, 0x7f, 1, 0x7f, 0x60, 1, 0x7f, 0]), // types: (i32 i32) -> i32, (i32) -> ()
      ...section(3, [2, 0, 1]), // functions
      ...section(5, [1, 0, 1]), // one memory of 1 page
      ...section(7, [3, ...str('memory'), 2, 0, ...str('ct_alloc'), 0, 0, ...str('ct_new_kernel'), 0, 1]),
      ...section(10, [2, 4, 0, 0x41, 0, 0x0b, 2, 0, 0x0b]), // bodies: i32.const 0; (empty)
    ]);
    expect(WebAssembly.validate(mod)).toBe(true);
    const m = summarize(mod);
    expect(m.exports).toEqual({ memory: 'memory', ct_alloc: 2, ct_new_kernel: 1 });
    const want = { memory: 'memory', ct_alloc: 1, ct_free: 2 } as const;
    expect(differences(m.exports, want)).toEqual([
      'ct_alloc: the TS table says 1, the module has 2',
      'ct_free: in the TS table (2), not exported by the module',
      'ct_new_kernel: exported by the module (1), missing from the TS table',
    ]);
  });

  it('the loader refuses a module lacking an export of the table, naming it', () => {
    const fake = Object.fromEntries(
      Object.keys(KERNEL_EXPORTS)
        .filter((k) => k !== 'ct_supcon')
        .map((k) => [k, () => 0]),
    );
    expect(missingExports(fake)).toEqual(['ct_supcon']);
    expect(missingExports(fake, THREAD_EXPORTS)).toEqual(Object.keys(THREAD_EXPORTS));
  });
});
