//! Exponential moving average of parameters (the momentum / target encoder of MoCo, BYOL, DINO):
//!   t <- m t + (1 - m) o,  element-wise,
//! evaluated in f64 and rounded once to f32, so it is bit-identical to the same formula in
//! JavaScript (whose arithmetic is f64) for every m, including m given with more digits than f32 has.

pub fn ema(target: &mut [f32], online: &[f32], m: f64) {
    let w = 1.0 - m;
    for (t, o) in target.iter_mut().zip(online) {
        *t = (m * *t as f64 + w * *o as f64) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn momentum_zero_copies_and_one_keeps() {
        let o = [1.5f32, -2.0, 3.25];
        let mut t = [0.0f32; 3];
        ema(&mut t, &o, 0.0);
        assert_eq!(t, o);
        ema(&mut t, &[9.0, 9.0, 9.0], 1.0);
        assert_eq!(t, o);
    }
}
