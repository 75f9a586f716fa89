// Edge runtimes (Cloudflare workerd, Vercel edge-light, generic workers): code generation from
// bytes is refused there, so the modules arrive precompiled through static .wasm imports.
// No worker factory is set: these runtimes give a request one thread, so init({ threads: n > 1 })
// rejects with WASM_UNSUPPORTED, and the threads modules are never imported here.
import relaxed from '../wasm/contrastive-relaxed.wasm';
import simd128 from '../wasm/contrastive-simd128.wasm';
import { setDefaultLoader } from './runtime/init.js';

setDefaultLoader((build) => (build === 'relaxed' ? relaxed : simd128));

export * from './index.js';
