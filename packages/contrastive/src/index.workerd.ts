// Edge runtimes (Cloudflare workerd, Vercel edge-light, generic workers): code generation from
// bytes is refused there, so the modules arrive precompiled through static .wasm imports.
import relaxed from '../wasm/contrastive-relaxed.wasm';
import simd128 from '../wasm/contrastive-simd128.wasm';
import { setDefaultLoader } from './runtime/init.js';

setDefaultLoader((variant) => (variant === 'relaxed' ? relaxed : simd128));

export * from './index.js';
