//! The sliding window Conv2d and the pools share: a kh x kw kernel moved by (sh, sw) over an
//! h x w plane zero- (or -inf-) padded by (ph, pw) on each side, dilation 1.
//! Ho = floor((H + 2 ph - kh) / sh) + 1, the same for Wo.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub ph: usize,
    pub pw: usize,
}

impl Window {
    /// Output height and width; None when a kernel size or stride is 0 or the kernel does not
    /// fit the padded input.
    pub fn out_hw(&self) -> Option<(usize, usize)> {
        let pad = |n: usize, p: usize| p.checked_mul(2).and_then(|p2| n.checked_add(p2));
        let (hp, wp) = (pad(self.h, self.ph)?, pad(self.w, self.pw)?);
        if self.kh == 0 || self.kw == 0 || self.sh == 0 || self.sw == 0 || hp < self.kh || wp < self.kw {
            return None;
        }
        Some(((hp - self.kh) / self.sh + 1, (wp - self.kw) / self.sw + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kernel_larger_than_the_padded_input_or_a_zero_stride_has_no_output() {
        let w = Window { h: 5, w: 6, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 };
        assert_eq!(w.out_hw(), Some((3, 3)));
        assert_eq!(Window { kh: 8, ..w }.out_hw(), None);
        assert_eq!(Window { kh: 7, ..w }.out_hw(), Some((1, 3)));
        assert_eq!(Window { sw: 0, ..w }.out_hw(), None);
        assert_eq!(Window { kw: 0, ..w }.out_hw(), None);
        assert_eq!(Window { ph: usize::MAX / 2, ..w }.out_hw(), None, "no wrap in h + 2 ph");
    }
}
