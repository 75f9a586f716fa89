/** What went wrong, as a stable string a program can switch on. */
export type ContrastiveErrorCode =
  | 'SHAPE_MISMATCH'
  | 'NON_FINITE'
  | 'INVALID_ARGUMENT'
  | 'NOT_INITIALIZED'
  | 'OUT_OF_MEMORY'
  | 'WASM_UNSUPPORTED'
  | 'UNSUPPORTED'
  | 'MISSING_DEPENDENCY';

/**
 * The one error type of the library. The message names the function, the argument and the
 * expected and actual shape or value, e.g.
 * `ntXent: b has shape [4, 8], expected [4, 16] (the shape of a)`.
 */
export class ContrastiveError extends Error {
  readonly code: ContrastiveErrorCode;
  constructor(code: ContrastiveErrorCode, message: string) {
    super(message);
    this.name = 'ContrastiveError';
    this.code = code;
  }
}
