//! LARS as google-research/simclr `lars_optimizer.py` (classic_momentum = True):
//!   decay:  g <- g + wd w                    (before the trust ratio)
//!   adapt:  r = eta ||w|| / ||g|| if both norms > 0, else 1   (whole-tensor norms, no epsilon)
//!   v <- mu v + lr r g                       (lr inside the momentum slot)
//!   w <- w - (mu v + lr r g) (Nesterov) or w - v
//! Tensors excluded from adaptation get r = 1; SimCLR excludes biases and BN parameters from
//! both decay and adaptation. Returns the trust ratio used.

#[allow(clippy::too_many_arguments)]
pub fn step(
    w: &mut [f32],
    g: &[f32],
    v: &mut [f32],
    lr: f32,
    momentum: f32,
    wd: f32,
    eta: f32,
    adapt: bool,
    nesterov: bool,
) -> f64 {
    let wd = wd as f64;
    let r = if adapt {
        let (mut ww, mut gg) = (0.0f64, 0.0f64);
        for i in 0..w.len() {
            let gi = g[i] as f64 + wd * w[i] as f64;
            ww += (w[i] as f64) * (w[i] as f64);
            gg += gi * gi;
        }
        let (wn, gn) = (ww.sqrt(), gg.sqrt());
        if wn > 0.0 && gn > 0.0 {
            eta as f64 * wn / gn
        } else {
            1.0
        }
    } else {
        1.0
    };
    let (mu, lr) = (momentum as f64, lr as f64);
    for i in 0..w.len() {
        let gi = g[i] as f64 + wd * w[i] as f64;
        let scaled = lr * r * gi;
        let nv = mu * v[i] as f64 + scaled;
        v[i] = nv as f32;
        let upd = if nesterov { mu * nv + scaled } else { nv };
        w[i] = (w[i] as f64 - upd) as f32;
    }
    r
}
