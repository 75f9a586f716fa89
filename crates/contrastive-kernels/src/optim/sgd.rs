//! torch.optim.SGD (maximize = false):
//!   g <- g + wd p                                  (coupled L2)
//!   momentum != 0: b <- g on the first step, else b <- mu b + (1 - dampening) g;
//!                  g <- g + mu b (Nesterov) or g <- b
//!   p <- p - lr g
//! `buf` may be empty when momentum is 0. The gradient buffer is not modified.

#[allow(clippy::too_many_arguments)]
pub fn step(
    p: &mut [f32],
    g: &[f32],
    buf: &mut [f32],
    lr: f32,
    momentum: f32,
    dampening: f32,
    wd: f32,
    nesterov: bool,
    first: bool,
) {
    for i in 0..p.len() {
        let mut d = g[i] + wd * p[i];
        if momentum != 0.0 {
            let b = if first { d } else { momentum * buf[i] + (1.0 - dampening) * d };
            buf[i] = b;
            d = if nesterov { d + momentum * b } else { b };
        }
        p[i] -= lr * d;
    }
}
