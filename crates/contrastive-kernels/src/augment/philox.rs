//! Philox4x32-10 (Salmon, Moraes, Dror, Shaw 2011, "Parallel random numbers: as easy as 1, 2, 3"):
//! a counter-based generator. `philox(key, counter)` is a pure function of its 64-bit key and
//! 128-bit counter, so any image's draws can be computed independently, in any order, in any
//! runtime. `packages/contrastive/src/augment/rng.ts` is the same function in TypeScript; both
//! are checked against the Random123 known-answer vectors.

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

/// Ten rounds of Philox4x32 on `ctr` under `key`.
#[inline]
pub fn philox(key: [u32; 2], ctr: [u32; 4]) -> [u32; 4] {
    let (mut k0, mut k1) = (key[0], key[1]);
    let mut c = ctr;
    for r in 0..10 {
        if r > 0 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        let (hi0, lo0) = mulhilo(M0, c[0]);
        let (hi1, lo1) = mulhilo(M1, c[2]);
        c = [hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0];
    }
    c
}

/// Four standard normals from one Philox block (Box-Muller on two pairs of 32-bit draws).
/// u1 = (w + 1) / 2^32 lies in (0, 1], so the logarithm is finite.
#[inline]
pub fn normals4(key: [u32; 2], ctr: [u32; 4]) -> [f32; 4] {
    let w = philox(key, ctr);
    let mut out = [0.0f32; 4];
    for p in 0..2 {
        let u1 = (w[2 * p] as f64 + 1.0) * (1.0 / 4_294_967_296.0);
        let u2 = w[2 * p + 1] as f64 * (1.0 / 4_294_967_296.0);
        let r = (-2.0 * u1.ln()).sqrt();
        let t = core::f64::consts::TAU * u2;
        out[2 * p] = (r * t.cos()) as f32;
        out[2 * p + 1] = (r * t.sin()) as f32;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random123_known_answers() {
        // Random123 kat_vectors, philox4x32_10.
        assert_eq!(philox([0, 0], [0, 0, 0, 0]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
        assert_eq!(philox([!0, !0], [!0, !0, !0, !0]), [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
        assert_eq!(
            philox([0xa4093822, 0x299f31d0], [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344]),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn normals_have_unit_moments() {
        let (mut s, mut s2, n) = (0.0f64, 0.0f64, 40_000u32);
        for i in 0..n / 4 {
            for v in normals4([7, 9], [i, 0, 0, 0]) {
                assert!(v.is_finite());
                s += v as f64;
                s2 += (v as f64) * (v as f64);
            }
        }
        let mean = s / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "{mean} {var}");
    }
}
