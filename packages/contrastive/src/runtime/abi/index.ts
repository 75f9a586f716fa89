// Every domain every build exports: one line per domain file (each file exports exactly its
// interface and its `table`). KernelExports and the loader's export check are derived from this
// list; the threads builds' extra exports are in threads.ts, apart.
export * from './core.js';
export * from './runtime.js';
export * from './loss.js';
export * from './nn.js';
export * from './optim.js';
export * from './augment.js';
export * from './resnet.js';
export * from './methods.js';
export * from './text.js';
export * from './sentence.js';
