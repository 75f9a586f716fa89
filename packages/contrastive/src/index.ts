// The public face of the package: re-exports only. The runtime entry points (index.node.ts,
// index.browser.ts, index.workerd.ts) add the way to find the packaged .wasm and re-export this.
export { init, runtimeInfo, relaxedSimdSupported } from './runtime/init.js';
export type { InitOptions, RuntimeInfo, Variant, WasmSource } from './runtime/init.js';
export { ContrastiveError } from './errors.js';
export type { ContrastiveErrorCode } from './errors.js';
export type { Matrix, MatrixLike } from './types.js';
export type { LossValue } from './loss/kernel.js';
export { ntXent } from './loss/ntxent.js';
export type { NtXentOptions, NtXentResult } from './loss/ntxent.js';
export { infoNce } from './loss/infonce.js';
export type { InfoNceOptions, InfoNceResult } from './loss/infonce.js';
export { supCon } from './loss/supcon.js';
export type { SupConOptions, SupConResult } from './loss/supcon.js';
export { cosineSimilarity } from './loss/cosine.js';
export { VERSION as version } from './version.js';
export * from './augment/index.js';
