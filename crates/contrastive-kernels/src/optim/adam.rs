//! torch.optim.Adam / AdamW (amsgrad = false), at step t (1-based, after incrementing):
//!   AdamW: p <- p (1 - lr wd)       (decoupled, before the update)
//!   Adam:  g <- g + wd p            (L2 through the adaptive scaling)
//!   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2       (stored uncorrected)
//!   p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)

#[allow(clippy::too_many_arguments)]
pub fn step(
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    lr: f32,
    b1: f32,
    b2: f32,
    eps: f32,
    wd: f32,
    decoupled: bool,
    t: u32,
) {
    let bc1 = 1.0 - (b1 as f64).powi(t as i32);
    let bc2 = 1.0 - (b2 as f64).powi(t as i32);
    let step_size = (lr as f64 / bc1) as f32;
    let inv_bc2_sqrt = (1.0 / bc2.sqrt()) as f32;
    let decay = (1.0 - lr as f64 * wd as f64) as f32;
    for i in 0..p.len() {
        let mut gi = g[i];
        if decoupled {
            p[i] *= decay;
        } else {
            gi += wd * p[i];
        }
        m[i] = b1 * m[i] + (1.0 - b1) * gi;
        v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
        let denom = v[i].sqrt() * inv_bc2_sqrt + eps;
        p[i] -= step_size * m[i] / denom;
    }
}
