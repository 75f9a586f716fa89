// How each domain of the kernels' C ABI is described: an interface (the typed signatures the ops
// call) and a table of the same names with their arities, which the type checker ties to the
// interface and a test ties to the built .wasm files (abi.test.ts).

declare const exportsOf: unique symbol;

/**
 * An export's shape in a table: a function's parameter count, or the kind of a non-function
 * export (the module's memory, a global the linker exports).
 */
export type ExportShape = number | 'memory' | 'global';

/** For each member of T: its parameter count (a literal, so a wrong count does not compile) or its kind. */
export type Arities<T> = {
  readonly [K in keyof T]-?: T[K] extends (...args: infer P) => unknown
    ? P['length']
    : T[K] extends WebAssembly.Memory
      ? 'memory'
      : T[K] extends WebAssembly.Global
        ? 'global'
        : never;
};

/** A domain's table; carries its interface as a type only. */
export type Table<T> = Arities<T> & { readonly [exportsOf]?: T };

/** The interface a table describes. */
export type ExportsOf<D> = D extends Table<infer T> ? T : never;

/**
 * Declares a domain's table: every member of T must appear, with its parameter count, and
 * nothing else may.
 */
export function table<T>(arities: Arities<T>): Table<T> {
  return arities as Table<T>;
}
