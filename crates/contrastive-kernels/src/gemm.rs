//! Packed, register-tiled GEMM: C (m x n, row-major, leading dimension ldc) += A · B.
//!
//! A and B are read through strides, so one routine serves NN, NT and TN:
//! A(i, p) = a[i * rs_a + p * cs_a] and B(p, j) = b[p * rs_b + j * cs_b].
//! Loop nest as in BLIS/XNNPACK: the k dimension is cut into equal slices at most KC deep, B into NC-wide
//! column blocks packed as NR-wide panels, A into MC-tall row blocks packed as MR-tall panels;
//! the 4x8 micro-kernel keeps its 4 x 2 vector accumulators in registers for a whole slice.

use crate::par::SharedMut;
use crate::simd::Isa;
use crate::{par, try_vec, try_vec_dirty, Oom, Scratch};

pub const MR: usize = 4;
pub const NR: usize = 8;
const KC: usize = 256;
const MC: usize = 64;
const NC: usize = 512;

/// Depth of the k slices for a product of depth k: at most KC, and equal (up to one) so no
/// short last slice pays a full C load/store round for a few steps (784 = 4 x 196, not
/// 3 x 256 + 16). Every slice but the last has exactly this depth.
#[inline]
fn kc_step(k: usize) -> usize {
    k.div_ceil(k.div_ceil(KC).max(1)) // k = 0: no slices, any step
}

/// A read-only strided matrix view.
#[derive(Clone, Copy)]
pub struct Strided<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl<'a> Strided<'a> {
    /// Row-major matrix with `cols` columns.
    pub fn rows(data: &'a [f32], cols: usize) -> Self {
        Strided { data, rs: cols, cs: 1 }
    }
    /// The transpose of a row-major matrix with `cols` columns.
    pub fn transposed(data: &'a [f32], cols: usize) -> Self {
        Strided { data, rs: 1, cs: cols }
    }
    #[inline(always)]
    fn at(&self, r: usize, c: usize) -> f32 {
        self.data[r * self.rs + c * self.cs]
    }
}

/// Reusable packing buffers, so a kernel that calls GEMM per block allocates once.
pub struct Packs {
    a: Scratch,
    b: Scratch,
}

impl Packs {
    pub fn new() -> Result<Self, Oom> {
        // every panel is packed before the micro-kernel reads it: no need to zero
        Ok(Packs { a: try_vec_dirty(MC * KC)?, b: try_vec_dirty(KC * NC)? })
    }
}

/// B (k x n) packed once for many products with different A: every KC slice, every NR panel,
/// in the order the macro-kernel reads them. Pays off when one B meets many row blocks of A
/// (the loss kernels multiply each block of rows by the same column matrix).
pub struct PackedB {
    data: Scratch,
    k: usize,
    n: usize,
}

impl PackedB {
    pub fn new(b: Strided, k: usize, n: usize) -> Result<Self, Oom> {
        let np = n.div_ceil(NR) * NR;
        let mut data = try_vec(k * np)?;
        let ks = kc_step(k);
        let mut pc = 0;
        while pc < k {
            let kc = ks.min(k - pc);
            pack_b::<crate::simd::Best>(&b, pc, kc, 0, n, &mut data[pc * np..(pc + kc) * np]);
            pc += kc;
        }
        Ok(PackedB { data, k, n })
    }
}

/// C += A · B[:, col0..col0 + n] for a prepacked B; the loop nest of [`gemm`] minus the B
/// packing. `col0` must be a multiple of [`NR`] (panels start there). Split over the thread
/// pool like [`gemm`].
#[allow(clippy::too_many_arguments)]
pub fn gemm_packed<I: Isa>(
    m: usize,
    a: Strided,
    b: &PackedB,
    col0: usize,
    n: usize,
    c: &mut [f32],
    ldc: usize,
    packs: &mut Packs,
) {
    gemm_packed_split::<I>(split_prepacked(m, n, b.k, par::threads()), m, a, b, col0, n, c, ldc, packs, false)
}

/// C = A · B[:, col0..col0 + n], overwriting C (no prior zeroing or loads of it needed).
#[allow(clippy::too_many_arguments)]
pub fn gemm_packed_into<I: Isa>(
    m: usize,
    a: Strided,
    b: &PackedB,
    col0: usize,
    n: usize,
    c: &mut [f32],
    ldc: usize,
    packs: &mut Packs,
) {
    if b.k == 0 {
        for i in 0..m {
            c[i * ldc..i * ldc + n].fill(0.0);
        }
        return;
    }
    gemm_packed_split::<I>(split_prepacked(m, n, b.k, par::threads()), m, a, b, col0, n, c, ldc, packs, true)
}

/// [`gemm_packed`] cut as `s` says; `set`: C = A·B instead of C += A·B.
#[allow(clippy::too_many_arguments)]
fn gemm_packed_split<I: Isa>(
    s: Option<(bool, usize)>,
    m: usize,
    a: Strided,
    b: &PackedB,
    col0: usize,
    n: usize,
    c: &mut [f32],
    ldc: usize,
    packs: &mut Packs,
    set: bool,
) {
    gemm_blocks::<I>(s, m, n, b.k, a, Panels::Packed(b, col0), c, ldc, packs, set)
}

/// B (k x n) packed once as NR-wide panels that each hold all k rows (panel stride k * NR), so
/// any window of B's rows [row0, row0 + kw) is itself a packed operand: products with different
/// row windows of one B (the loss kernels' dU_I += H U_J for every tile) never repack it.
pub struct PackedRows {
    data: Scratch,
    k: usize,
    n: usize,
}

impl PackedRows {
    pub fn new(b: Strided, k: usize, n: usize) -> Result<Self, Oom> {
        let mut data = try_vec(k * n.div_ceil(NR) * NR)?;
        // one k slice as deep as B: the panels hold every row
        pack_b::<crate::simd::Best>(&b, 0, k, 0, n, &mut data);
        Ok(PackedRows { data, k, n })
    }
}

/// C (m x n) += A (m x kw) · B[row0..row0 + kw, :] for a row-window of a [`PackedRows`] B.
/// Split over the thread pool like [`gemm`] (bit-identical for any thread count).
#[allow(clippy::too_many_arguments)]
pub fn gemm_packed_rows<I: Isa>(
    m: usize,
    a: Strided,
    b: &PackedRows,
    row0: usize,
    kw: usize,
    c: &mut [f32],
    ldc: usize,
    packs: &mut Packs,
) {
    gemm_packed_rows_split::<I>(split_prepacked(m, b.n, kw, par::threads()), m, a, b, row0, kw, c, ldc, packs)
}

/// [`gemm_packed_rows`] cut as `s` says.
#[allow(clippy::too_many_arguments)]
fn gemm_packed_rows_split<I: Isa>(
    s: Option<(bool, usize)>,
    m: usize,
    a: Strided,
    b: &PackedRows,
    row0: usize,
    kw: usize,
    c: &mut [f32],
    ldc: usize,
    packs: &mut Packs,
) {
    gemm_blocks::<I>(s, m, b.n, kw, a, Panels::Rows(b, row0, 0), c, ldc, packs, false)
}

/// C += A · B with A m x k, B k x n. `c` holds at least (m - 1) * ldc + n values.
///
/// In the threads build a big enough product is cut into row or column blocks (see [`split`]),
/// one per thread, each run through the same loop nest; every element of C still gets the same
/// operations in the same order, so the result is bit-identical for any thread count.
#[allow(clippy::too_many_arguments)]
pub fn gemm<I: Isa>(
    m: usize,
    n: usize,
    k: usize,
    a: Strided,
    b: Strided,
    c: &mut [f32],
    ldc: usize,
    packs: &mut Packs,
) {
    gemm_split::<I>(split(m, n, k, par::threads()), m, n, k, a, b, c, ldc, packs)
}

/// [`gemm`] on the calling thread only (inside [`for_each_product`]): the same bits.
#[allow(clippy::too_many_arguments)]
pub fn gemm_serial<I: Isa>(m: usize, n: usize, k: usize, a: Strided, b: Strided, c: &mut [f32], ldc: usize, packs: &mut Packs) {
    gemm_split::<I>(None, m, n, k, a, b, c, ldc, packs)
}

/// [`gemm`] cut as `s` says (tests force cuts the threshold would not make).
#[allow(clippy::too_many_arguments)]
fn gemm_split<I: Isa>(
    s: Option<(bool, usize)>,
    m: usize,
    n: usize,
    k: usize,
    a: Strided,
    b: Strided,
    c: &mut [f32],
    ldc: usize,
    packs: &mut Packs,
) {
    gemm_blocks::<I>(s, m, n, k, a, Panels::Pack(b), c, ldc, packs, false)
}

/// Products below this many multiply-adds (m n k) stay on one thread: waking the workers and
/// packing the shared operand once per block costs more than it saves. `node bench/gemm.mjs
/// --threads 2` measured the cost of a split job at 15-30 us over the serial time (bench/RESULTS.md
/// §6), so a split needs ~120 us of work (~3M madds at 48 GFLOP/s) to gain 1.5x on two free
/// cores; 8M (~350 us) leaves a margin for busy machines, where splitting costs the most.
pub const PAR_MIN_MADDS: usize = 1 << 23;
/// Blocks per thread (see [`split`]).
const PARTS_PER_THREAD: usize = 4;
/// The most blocks a product is cut into.
const MAX_PARTS: usize = 32;
/// The thinnest block, in MR rows or NR columns.
const MIN_BLOCK_UNITS: usize = 4;

/// How a product is cut for `threads` threads: `(by_rows, step)` = blocks of `step` rows (a
/// multiple of MR) or columns (a multiple of NR), so that the blocks consist of exactly the
/// micro-tiles of the unsplit product, and every tile sees the same k slices. Rows when
/// m >= n: each block re-packs the other operand, and the longer side makes that cheapest.
/// About [`PARTS_PER_THREAD`] blocks per thread, so a thread that starts late (a busy machine)
/// leaves its blocks to the others instead of holding everyone up. None: one block.
pub fn split(m: usize, n: usize, k: usize, threads: usize) -> Option<(bool, usize)> {
    if threads <= 1 || m.saturating_mul(n).saturating_mul(k) < par::min_work().unwrap_or(PAR_MIN_MADDS) {
        return None;
    }
    split_for(m, n, threads)
}

/// [`split`] for a prepacked B: row blocks share B as it is and pack only their own rows of A,
/// while column blocks would each pack all of A (the loss kernels' H tiles are 64 x 2048), so
/// rows whenever there are enough of them for two blocks.
pub fn split_prepacked(m: usize, n: usize, k: usize, threads: usize) -> Option<(bool, usize)> {
    let s = split(m, n, k, threads)?;
    if m >= 2 * MIN_BLOCK_UNITS * MR {
        let step = m.div_ceil((threads * PARTS_PER_THREAD).min(MAX_PARTS)).div_ceil(MR).max(MIN_BLOCK_UNITS) * MR;
        Some((true, step))
    } else {
        Some(s)
    }
}

fn split_for(m: usize, n: usize, threads: usize) -> Option<(bool, usize)> {
    let (by_rows, len, unit) = if m >= n { (true, m, MR) } else { (false, n, NR) };
    // blocks of at least MIN_BLOCK_UNITS panels keep the re-packing small; at most MAX_PARTS
    let parts = (threads * PARTS_PER_THREAD).min(MAX_PARTS);
    let step = len.div_ceil(parts).div_ceil(unit).max(MIN_BLOCK_UNITS) * unit;
    if step >= len {
        None
    } else {
        Some((by_rows, step))
    }
}

std::thread_local! {
    /// Packing buffers of a worker thread, kept between products (the caller uses its own).
    static WORKER_PACKS: core::cell::RefCell<Option<Packs>> = const { core::cell::RefCell::new(None) };
}

/// Block signature: (first row, rows, first column, columns, C at (first row, first column)).
type Block<'a> = dyn Fn(usize, usize, usize, usize, &mut [f32], &mut Packs) + Sync + 'a;

/// Runs `block` on each block of the cut `s` through the thread pool, or on the whole m x n
/// product here when there is no cut. A part whose thread cannot get packing buffers is left to
/// the caller afterwards, so out of memory on a worker costs time, not correctness.
fn run_blocks(
    s: Option<(bool, usize)>,
    m: usize,
    n: usize,
    c: &mut [f32],
    ldc: usize,
    packs: &mut Packs,
    block: &Block,
) {
    let Some((by_rows, step)) = s else {
        return block(0, m, 0, n, c, packs);
    };
    let parts = if by_rows { m.div_ceil(step) } else { n.div_ceil(step) };
    let cp = SharedMut::new(c);
    for_each_product(parts, packs, &|p, packs| {
        let (i0, mi, j0, nj) =
            if by_rows { (p * step, step.min(m - p * step), 0, n) } else { (0, m, p * step, step.min(n - p * step)) };
        let off = i0 * ldc + j0;
        // SAFETY: inside c. Column blocks' slices overlap as address ranges but each block
        // reads and writes only its own columns, so no element is shared between threads.
        let cb = unsafe { cp.part(off, cp.len() - off) };
        block(i0, mi, j0, nj, cb, packs);
    });
}

/// Runs `f(i, packs)` for every i in 0..n (at most 64) over the thread pool, each call with the
/// packing buffers of the thread it runs on; a call whose worker cannot get buffers runs on the
/// caller afterwards, so out of memory on a worker costs time, not correctness. For independent
/// products too small to split one by one (a Winograd layer's 16 or 36): each uses
/// [`gemm_serial`] inside, so its bits are those of [`gemm`] on one thread.
pub fn for_each_product(n: usize, packs: &mut Packs, f: &(dyn Fn(usize, &mut Packs) + Sync)) {
    let caller_packs = SharedMut::new(core::slice::from_mut(packs));
    // bit p: part p found no packing buffers on its worker
    assert!(n <= 64);
    let failed = core::sync::atomic::AtomicU64::new(0);
    par::for_each(n, &|p, thread| {
        if thread == 0 {
            // SAFETY: thread 0 is the calling thread, which owns `packs`.
            f(p, unsafe { &mut caller_packs.part(0, 1)[0] });
            return;
        }
        WORKER_PACKS.with(|w| {
            let mut w = w.borrow_mut();
            if w.is_none() {
                *w = Packs::new().ok();
            }
            match w.as_mut() {
                Some(packs) => f(p, packs),
                None => {
                    failed.fetch_or(1 << p, core::sync::atomic::Ordering::Relaxed);
                }
            }
        });
    });
    let failed = failed.into_inner();
    for p in 0..n {
        if failed & (1 << p) != 0 {
            f(p, packs);
        }
    }
}

/// Where the loop nest finds B's NR-wide panels for a k slice and column block.
#[derive(Clone, Copy)]
enum Panels<'a> {
    /// A strided B, packed per (column block, k slice) into the caller's buffer ([`gemm`]).
    Pack(Strided<'a>),
    /// A [`PackedB`], from column `.1` (a multiple of NR) on ([`gemm_packed`]).
    Packed(&'a PackedB, usize),
    /// Rows `.1..` of a [`PackedRows`], from column `.2` (a multiple of NR) on ([`gemm_packed_rows`]).
    Rows(&'a PackedRows, usize, usize),
}

impl<'a> Panels<'a> {
    /// The same B from column j0 (a multiple of NR) on: a column block of the product.
    fn at_col(self, j0: usize) -> Self {
        match self {
            Panels::Pack(b) => Panels::Pack(Strided { data: &b.data[j0 * b.cs..], ..b }),
            Panels::Packed(b, col0) => Panels::Packed(b, col0 + j0),
            Panels::Rows(b, row0, col0) => Panels::Rows(b, row0, col0 + j0),
        }
    }
}

/// C (m x n) += A (m x k) · B, or C = A · B when `set`, for every kind of B: the bounds
/// checks, then the cut `s` through [`run_blocks`], each block by [`loop_nest`].
#[allow(clippy::too_many_arguments)]
fn gemm_blocks<I: Isa>(
    s: Option<(bool, usize)>,
    m: usize,
    n: usize,
    k: usize,
    a: Strided,
    b: Panels,
    c: &mut [f32],
    ldc: usize,
    packs: &mut Packs,
    set: bool,
) {
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    assert!(c.len() >= (m - 1) * ldc + n);
    match b {
        Panels::Pack(_) => {}
        Panels::Packed(p, col0) => assert!(col0 % NR == 0 && col0 + n <= p.n && k == p.k),
        Panels::Rows(p, row0, col0) => assert!(col0 % NR == 0 && col0 + n <= p.n && row0 + k <= p.k),
    }
    run_blocks(s, m, n, c, ldc, packs, &|i0, mi, j0, nj, c, packs| {
        let a = Strided { data: &a.data[i0 * a.rs..], ..a };
        loop_nest::<I>(mi, nj, k, a, b.at_col(j0), c, ldc, packs, set)
    });
}

/// The one loop nest of every product: NC-wide column blocks, equal k slices (see [`kc_step`]),
/// MC-tall row blocks of A packed per slice, the macro-kernel on each; B's panels come from
/// `b`. With `set`, the first k slice writes C and the later ones add.
#[allow(clippy::too_many_arguments)]
fn loop_nest<I: Isa>(
    m: usize,
    n: usize,
    k: usize,
    a: Strided,
    b: Panels,
    c: &mut [f32],
    ldc: usize,
    packs: &mut Packs,
    set: bool,
) {
    let Packs { a: pa, b: pb } = packs;
    let ks = kc_step(k); // for a PackedB, the slicing PackedB::new used
    let mut jc = 0;
    while jc < n {
        let nc = NC.min(n - jc);
        let mut pc = 0;
        while pc < k {
            let kc = ks.min(k - pc);
            let (bp, bstride): (&[f32], usize) = match b {
                Panels::Pack(b) => {
                    pack_b::<I>(&b, pc, kc, jc, nc, pb);
                    (pb, NR * kc)
                }
                Panels::Packed(b, col0) => {
                    let start = pc * b.n.div_ceil(NR) * NR + (col0 + jc) * kc;
                    (&b.data[start..start + nc.div_ceil(NR) * NR * kc], NR * kc)
                }
                Panels::Rows(b, row0, col0) => (&b.data[((col0 + jc) / NR) * b.k * NR + (row0 + pc) * NR..], b.k * NR),
            };
            let mut ic = 0;
            while ic < m {
                let mc = MC.min(m - ic);
                pack_a::<I>(&a, ic, mc, pc, kc, pa);
                macro_kernel::<I>(mc, nc, kc, pa, bp, bstride, &mut c[ic * ldc + jc..], ldc, set && pc == 0);
                ic += mc;
            }
            pc += kc;
        }
        jc += nc;
    }
}

/// Packs B[pc.., jc..] (kc x nc) as NR-wide panels, k-major inside each panel, zero-padded.
pub(crate) fn pack_b<I: Isa>(b: &Strided, pc: usize, kc: usize, jc: usize, nc: usize, out: &mut [f32]) {
    pack_panels::<I, NR>(b, pc, kc, jc, nc, out);
}

/// Packs A[ic.., pc..] (mc x kc) as MR-tall panels, k-major inside each panel, zero-padded:
/// the B packing of A^T with MR-wide panels.
pub(crate) fn pack_a<I: Isa>(a: &Strided, ic: usize, mc: usize, pc: usize, kc: usize, out: &mut [f32]) {
    let at = Strided { data: a.data, rs: a.cs, cs: a.rs };
    pack_panels::<I, MR>(&at, pc, kc, ic, mc, out);
}

/// Packs M[pc.., jc..] (kc x nc) as W-wide panels: out[panel][p * W + j] = M(pc + p, j0 + j),
/// zero-padded. W is a multiple of 4 (the transposing path moves 4x4 blocks).
fn pack_panels<I: Isa, const W: usize>(m: &Strided, pc: usize, kc: usize, jc: usize, nc: usize, out: &mut [f32]) {
    const { assert!(W.is_multiple_of(4)) };
    let panels = nc.div_ceil(W);
    for jp in 0..panels {
        let j0 = jc + jp * W;
        let w = W.min(jc + nc - j0);
        let dst = &mut out[jp * W * kc..(jp + 1) * W * kc];
        if m.cs == 1 && w == W {
            // rows contiguous: each k step is one contiguous run of W values
            for p in 0..kc {
                let src = (pc + p) * m.rs + j0;
                dst[p * W..p * W + W].copy_from_slice(&m.data[src..src + W]);
            }
        } else if m.rs == 1 && w == W {
            // columns contiguous (a transposed row-major matrix): 4x4 transposes turn 4 steps of
            // the W columns into 4 panel rows
            let col = |j: usize| (j0 + j) * m.cs + pc;
            assert!(col(W - 1) + kc <= m.data.len());
            let src = m.data.as_ptr();
            let d = dst.as_mut_ptr();
            let mut p = 0;
            // SAFETY: every column read stays inside m.data (checked); dst holds W * kc floats.
            unsafe {
                while p + 4 <= kc {
                    for q0 in (0..W).step_by(4) {
                        let r = [0, 1, 2, 3].map(|j| I::load(src.add(col(q0 + j) + p)));
                        for (q, v) in I::transpose4(r).into_iter().enumerate() {
                            I::store(d.add((p + q) * W + q0), v);
                        }
                    }
                    p += 4;
                }
            }
            for p in p..kc {
                for j in 0..W {
                    dst[p * W + j] = m.data[col(j) + p];
                }
            }
        } else if m.rs == 1 {
            // columns contiguous, a ragged last panel
            dst.fill(0.0);
            for j in 0..w {
                let col = &m.data[(j0 + j) * m.cs + pc..(j0 + j) * m.cs + pc + kc];
                for (p, v) in col.iter().enumerate() {
                    dst[p * W + j] = *v;
                }
            }
        } else {
            for p in 0..kc {
                for j in 0..W {
                    dst[p * W + j] = if j < w { m.at(pc + p, j0 + j) } else { 0.0 };
                }
            }
        }
    }
}

/// `pb`: the B panels of this slice, `bstride` floats apart (NR * kc when packed per slice).
/// `set`: C = A·B instead of C += A·B.
#[allow(clippy::too_many_arguments)]
fn macro_kernel<I: Isa>(
    mc: usize,
    nc: usize,
    kc: usize,
    pa: &[f32],
    pb: &[f32],
    bstride: usize,
    c: &mut [f32],
    ldc: usize,
    set: bool,
) {
    let mut tile = [0.0f32; MR * NR];
    for jp in 0..nc.div_ceil(NR) {
        let w = NR.min(nc - jp * NR);
        let bp = &pb[jp * bstride..jp * bstride + NR * kc];
        for ip in 0..mc.div_ceil(MR) {
            let h = MR.min(mc - ip * MR);
            let ap = &pa[ip * MR * kc..];
            let c0 = ip * MR * ldc + jp * NR;
            if h == MR && w == NR {
                // SAFETY: the tile lies inside c (checked by gemm's assert), panels hold kc steps.
                unsafe { kernel_4x8::<I>(kc, ap.as_ptr(), bp.as_ptr(), c.as_mut_ptr().add(c0), ldc, set) };
            } else {
                unsafe { kernel_4x8::<I>(kc, ap.as_ptr(), bp.as_ptr(), tile.as_mut_ptr(), NR, true) };
                for i in 0..h {
                    for j in 0..w {
                        let v = &mut c[c0 + i * ldc + j];
                        *v = if set { tile[i * NR + j] } else { *v + tile[i * NR + j] };
                    }
                }
            }
        }
    }
}

/// The 4x8 micro-kernel: C[0..4, 0..8] += Ap (4 x kc, packed) · Bp (kc x 8, packed).
/// 8 accumulators + 2 B vectors + 1 broadcast: 11 of the 16 vector registers of an x86 host.
///
/// # Safety
/// `ap` holds 4*kc and `bp` 8*kc floats; c points at a 4 x 8 tile with leading dimension ldc.
/// `set`: store the product instead of adding it to C.
#[inline(always)]
pub(crate) unsafe fn kernel_4x8<I: Isa>(kc: usize, ap: *const f32, bp: *const f32, c: *mut f32, ldc: usize, set: bool) {
    let z = I::splat(0.0);
    let (mut c00, mut c01, mut c10, mut c11) = (z, z, z, z);
    let (mut c20, mut c21, mut c30, mut c31) = (z, z, z, z);
    let mut a = ap;
    let mut b = bp;
    for _ in 0..kc {
        let b0 = I::load(b);
        let b1 = I::load(b.add(4));
        let a0 = I::load_splat(a.add(0));
        c00 = I::madd(a0, b0, c00);
        c01 = I::madd(a0, b1, c01);
        let a1 = I::load_splat(a.add(1));
        c10 = I::madd(a1, b0, c10);
        c11 = I::madd(a1, b1, c11);
        let a2 = I::load_splat(a.add(2));
        c20 = I::madd(a2, b0, c20);
        c21 = I::madd(a2, b1, c21);
        let a3 = I::load_splat(a.add(3));
        c30 = I::madd(a3, b0, c30);
        c31 = I::madd(a3, b1, c31);
        a = a.add(MR);
        b = b.add(NR);
    }
    let rows = [(c00, c01), (c10, c11), (c20, c21), (c30, c31)];
    for (i, (lo, hi)) in rows.into_iter().enumerate() {
        let p = c.add(i * ldc);
        if set {
            I::store(p, lo);
            I::store(p.add(4), hi);
        } else {
            I::store(p, I::add(I::load(p), lo));
            I::store(p.add(4), I::add(I::load(p.add(4)), hi));
        }
    }
}

/// The oracle: C += A · B by the textbook triple loop, accumulating in f64.
pub fn gemm_reference(m: usize, n: usize, k: usize, a: Strided, b: Strided, c: &mut [f32], ldc: usize) {
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f64;
            for p in 0..k {
                s += a.at(i, p) as f64 * b.at(p, j) as f64;
            }
            c[i * ldc + j] += s as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::scalar::Scalar4;
    use crate::testutil::Rng;

    fn check(m: usize, n: usize, k: usize, ta: bool, tb: bool) {
        let mut rng = Rng(m as u64 * 1000003 + n as u64 * 7919 + k as u64);
        let a: Vec<f32> = (0..m * k).map(|_| rng.normal()).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.normal()).collect();
        let av = if ta { Strided::transposed(&a, m) } else { Strided::rows(&a, k) };
        let bv = if tb { Strided::transposed(&b, k) } else { Strided::rows(&b, n) };
        let ldc = n + 3;
        let init: Vec<f32> = (0..m.max(1) * ldc).map(|_| rng.normal()).collect();
        let mut c1 = init.clone();
        let mut c2 = init.clone();
        let mut packs = Packs::new().unwrap();
        gemm::<Scalar4>(m, n, k, av, bv, &mut c1, ldc, &mut packs);
        gemm_reference(m, n, k, av, bv, &mut c2, ldc);
        let tol = 1e-5 * (k as f32).sqrt().max(1.0) * 4.0;
        for i in 0..c1.len() {
            assert!((c1[i] - c2[i]).abs() <= tol, "m{m} n{n} k{k} ta{ta} tb{tb} at {i}: {} vs {}", c1[i], c2[i]);
        }
        // the padding columns between n and ldc are never written
        for i in 0..m {
            for j in n..ldc {
                assert_eq!(c1[i * ldc + j], init[i * ldc + j]);
            }
        }
    }

    #[test]
    fn gemm_matches_oracle_on_odd_sizes_nn_nt_tn() {
        let sizes = [1usize, 3, 5, 17, 127, 129];
        for &m in &[1usize, 4, 5, 67] {
            for &n in &[1usize, 8, 9, 31, 513] {
                for &k in &sizes {
                    for (ta, tb) in [(false, false), (false, true), (true, false)] {
                        check(m, n, k, ta, tb);
                    }
                }
            }
        }
    }

    #[test]
    fn gemm_crosses_every_cache_block_boundary() {
        // m > MC, n > NC, k > KC at once: every loop of the nest runs more than once.
        check(MC * 2 + 3, NC + 9, KC + 5, false, true);
        check(MC + 1, NC * 2 + 1, KC * 2 + 1, true, false);
    }

    #[test]
    fn prepacked_b_gives_the_same_product() {
        for &(m, n, k) in &[(1usize, 1usize, 1usize), (5, 9, 3), (67, NC + 13, KC + 7), (3, 1030, 129)] {
            let mut rng = Rng((m * 31 + n * 7 + k) as u64);
            let a: Vec<f32> = (0..m * k).map(|_| rng.normal()).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.normal()).collect();
            for tb in [false, true] {
                let bv = if tb { Strided::transposed(&b, k) } else { Strided::rows(&b, n) };
                let mut packs = Packs::new().unwrap();
                let mut c1 = vec![0.5f32; m * n];
                let mut c2 = c1.clone();
                gemm::<Scalar4>(m, n, k, Strided::rows(&a, k), bv, &mut c1, n, &mut packs);
                let pb = PackedB::new(bv, k, n).unwrap();
                gemm_packed::<Scalar4>(m, Strided::rows(&a, k), &pb, 0, n, &mut c2, n, &mut packs);
                assert_eq!(c1, c2, "m{m} n{n} k{k} tb{tb}");
                // a column window starting on a panel boundary
                if n > 2 * NR {
                    let (c0, w) = (NR, n - NR - 1);
                    let mut c3 = vec![0.0f32; m * w];
                    let mut c4 = vec![0.0f32; m * w];
                    gemm_packed::<Scalar4>(m, Strided::rows(&a, k), &pb, c0, w, &mut c3, w, &mut packs);
                    let bw = if tb {
                        Strided { data: &b[c0 * k..], rs: 1, cs: k }
                    } else {
                        Strided { data: &b[c0..], rs: n, cs: 1 }
                    };
                    gemm_reference(m, w, k, Strided::rows(&a, k), bw, &mut c4, w);
                    for (x, y) in c3.iter().zip(&c4) {
                        assert!((x - y).abs() < 1e-3, "window m{m} n{n} k{k}: {x} vs {y}");
                    }
                }
            }
        }
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn thread_blocks_give_bit_identical_products() {
        // Any cut into row blocks (multiples of MR) or column blocks (multiples of NR) must give
        // C bit for bit equal to the unsplit product: the threads build relies on it.
        for &(m, n, k) in &[(5usize, 9usize, 3usize), (67, 513, 129), (MC * 2 + 3, 40, KC + 5), (9, NC + 9, KC * 2 + 1)]
        {
            let mut rng = Rng((m * 7 + n * 13 + k) as u64);
            let a: Vec<f32> = (0..m * k).map(|_| rng.normal()).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.normal()).collect();
            let ldc = n + 1;
            let init: Vec<f32> = (0..m * ldc).map(|_| rng.normal()).collect();
            for (ta, tb) in [(false, false), (false, true), (true, false)] {
                let av = if ta { Strided::transposed(&a, m) } else { Strided::rows(&a, k) };
                let bv = if tb { Strided::transposed(&b, k) } else { Strided::rows(&b, n) };
                let mut packs = Packs::new().unwrap();
                let mut c1 = init.clone();
                gemm_split::<Scalar4>(None, m, n, k, av, bv, &mut c1, ldc, &mut packs);
                let pb = PackedB::new(bv, k, n).unwrap();
                // B below one extra row, as PackedRows; the product reads rows 1..k + 1
                let mut tall = vec![0.5f32; n];
                for r in 0..k {
                    tall.extend((0..n).map(|j| b[if tb { j * k + r } else { r * n + j }]));
                }
                let pr = PackedRows::new(Strided::rows(&tall, n), k + 1, n).unwrap();
                for t in 2..=5 {
                    for s in [split_for(m, n, t), Some((true, MR * 4)), Some((false, NR * 4))] {
                        let mut c2 = init.clone();
                        gemm_split::<Scalar4>(s, m, n, k, av, bv, &mut c2, ldc, &mut packs);
                        assert_eq!(bits(&c1), bits(&c2), "gemm m{m} n{n} k{k} ta{ta} tb{tb} split {s:?}");
                        let mut c3 = init.clone();
                        gemm_packed_split::<Scalar4>(s, m, av, &pb, 0, n, &mut c3, ldc, &mut packs, false);
                        assert_eq!(bits(&c1), bits(&c3), "packed m{m} n{n} k{k} ta{ta} tb{tb} split {s:?}");
                        // a row window of a PackedRows B (the loss kernels' products): rows 0..k of
                        // a taller B, split the same ways
                        let mut c4 = init.clone();
                        gemm_packed_rows_split::<Scalar4>(s, m, av, &pr, 1, k, &mut c4, ldc, &mut packs);
                        assert_eq!(bits(&c1), bits(&c4), "packed rows m{m} n{n} k{k} ta{ta} tb{tb} split {s:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn split_cuts_on_tile_boundaries_and_only_big_products() {
        assert_eq!(split(512, 512, 784, 1), None);
        assert_eq!(split(8, 8, 8, 2), None, "tiny products stay serial");
        assert_eq!(split(128, 128, 128, 2), None, "below PAR_MIN_MADDS");
        assert_eq!(split(512, 256, 784, 2), Some((true, 64)));
        assert_eq!(split(16, 4096, 144, 2), Some((false, 512)));
        assert_eq!(split(130, 30, 1 << 13, 2), Some((true, 20)), "row blocks are whole MR panels");
        assert_eq!(split(3, 1000, 1 << 13, 2), Some((false, 128)), "column blocks are whole NR panels");
        assert_eq!(split(66, 30, 1 << 13, 2), Some((true, 16)), "no block thinner than 4 panels");
        assert_eq!(split(4096, 4096, 4096, 16), Some((true, 128)), "at most 32 blocks");
        assert_eq!(split_for(16, 3, 2), None, "4 MR panels are not cut");
        // a prepacked B: rows whenever two row blocks exist (no block packs all of A)
        assert_eq!(split_prepacked(64, 2048, 128, 2), Some((true, 16)), "the loss kernels' logit tiles");
        assert_eq!(split_prepacked(64, 128, 2048, 2), Some((true, 16)), "their H U products");
        assert_eq!(split_prepacked(16, 4096, 144, 2), Some((false, 512)), "too few rows: columns");
        assert_eq!(split_prepacked(128, 128, 128, 2), None, "below PAR_MIN_MADDS");
    }

    #[test]
    fn packed_into_overwrites_whatever_c_held() {
        // k > KC: the first slice writes, the later ones add; NaN garbage in C must not leak
        for &(m, n, k) in &[(5usize, 9usize, 3usize), (67, 70, KC + 9), (4, 8, 0)] {
            let mut rng = Rng((m * 13 + n * 5 + k) as u64);
            let a: Vec<f32> = (0..m * k).map(|_| rng.normal()).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.normal()).collect();
            let pb = PackedB::new(Strided::transposed(&b, k), k, n).unwrap();
            let mut packs = Packs::new().unwrap();
            let mut c1 = vec![f32::NAN; m * n];
            let mut c2 = vec![0.0f32; m * n];
            gemm_packed_into::<Scalar4>(m, Strided::rows(&a, k), &pb, 0, n, &mut c1, n, &mut packs);
            gemm_packed::<Scalar4>(m, Strided::rows(&a, k), &pb, 0, n, &mut c2, n, &mut packs);
            assert_eq!(c1, c2, "m{m} n{n} k{k}");
        }
    }

    #[test]
    fn row_window_of_prepacked_rows_gives_the_same_product() {
        // windows that start off every block boundary, span several KC slices, and a ragged n
        for &(m, n, k, row0, kw) in
            &[(5usize, 9usize, 40usize, 3usize, 17usize), (67, 130, 700, 61, KC + 77), (1, 1, 1, 0, 1)]
        {
            let mut rng = Rng((m * 31 + n * 7 + k + row0) as u64);
            let a: Vec<f32> = (0..m * kw).map(|_| rng.normal()).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.normal()).collect();
            let pr = PackedRows::new(Strided::rows(&b, n), k, n).unwrap();
            let mut packs = Packs::new().unwrap();
            for ta in [false, true] {
                let av = if ta { Strided::transposed(&a, m) } else { Strided::rows(&a, kw) };
                let mut c1 = vec![0.25f32; m * n];
                let mut c2 = c1.clone();
                gemm_packed_rows::<Scalar4>(m, av, &pr, row0, kw, &mut c1, n, &mut packs);
                gemm::<Scalar4>(m, n, kw, av, Strided::rows(&b[row0 * n..], n), &mut c2, n, &mut packs);
                assert_eq!(c1, c2, "m{m} n{n} k{k} row0 {row0} kw {kw} ta {ta}");
            }
        }
    }

    #[test]
    fn k_slices_are_balanced_and_never_deeper_than_kc() {
        assert_eq!(kc_step(784), 196);
        assert_eq!(kc_step(KC), KC);
        assert_eq!(kc_step(KC + 1), KC / 2 + 1);
        for k in 1..3 * KC {
            let (ks, s) = (kc_step(k), k.div_ceil(KC));
            assert!(ks <= KC && ks * s >= k && ks * (s - 1) < k, "k {k}: step {ks}");
        }
        check(9, 17, 784, false, true);
    }

    #[test]
    fn empty_dimensions_leave_c_untouched() {
        let mut packs = Packs::new().unwrap();
        let mut c = vec![1.0f32; 4];
        gemm::<Scalar4>(2, 2, 0, Strided::rows(&[], 0), Strided::rows(&[], 2), &mut c, 2, &mut packs);
        assert_eq!(c, vec![1.0; 4]);
    }
}
