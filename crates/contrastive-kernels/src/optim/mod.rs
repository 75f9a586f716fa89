//! Optimizer update kernels, one tensor per call, in place on the parameter and its state.
//! Semantics are torch.optim's (SGD, Adam, AdamW) and google-research/simclr's LARS; see each
//! file. Hyperparameters arrive as f32 except where f64 matters (bias corrections).

pub mod adam;
pub mod ema;
pub mod lars;
pub mod sgd;

/// sum of squares in f64 (for global-norm clipping and LARS norms).
pub fn sumsq(x: &[f32]) -> f64 {
    x.iter().map(|v| (*v as f64) * (*v as f64)).sum()
}

/// x *= s
pub fn scale(x: &mut [f32], s: f32) {
    for v in x {
        *v *= s;
    }
}
