//! Every export, called with dimensions whose product wraps `usize` (or whose bytes pass
//! `isize::MAX`), returns OUT_OF_MEMORY before it touches a buffer: no panic, no wrap, no write.
//! The pointers are real, small buffers, so only the size check stands between a wrapped
//! length and a write past them. A second test reads the ABI sources and fails when an export
//! is neither in the table nor in the list of exports without dimensions.

use super::augment::*;
use super::loss::*;
use super::methods::*;
use super::nn::*;
use super::optim::*;
use super::resnet::*;
use super::runtime::*;
use super::sentence::*;
use super::text::*;
use super::{OK, OUT_OF_MEMORY};
use core::ptr::{null, null_mut};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The test binary's allocator: the system's, except that it counts (and refuses) requests of
/// 4 GiB or more (no unit test needs that much). An export that reaches its kernel with a wrapped or absurd size asks for
/// one; an export that checks its sizes first asks for nothing.
struct Counting;
static HUGE_REQUESTS: AtomicUsize = AtomicUsize::new(0);
const LIMIT: usize = 1 << 32;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if l.size() >= LIMIT {
            HUGE_REQUESTS.fetch_add(1, Relaxed);
            return null_mut();
        }
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if l.size() >= LIMIT {
            HUGE_REQUESTS.fetch_add(1, Relaxed);
            return null_mut();
        }
        System.alloc_zeroed(l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if n >= LIMIT {
            HUGE_REQUESTS.fetch_add(1, Relaxed);
            return null_mut();
        }
        System.realloc(p, l, n)
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// A dimension that overflows usize when multiplied by itself (or by 16 for a byte count).
const BIG: usize = 1 << (usize::BITS / 2 + 2);
/// A length whose bytes (4 per element) pass isize::MAX on its own.
const HUGE: usize = usize::MAX / 2;
/// As BIG, for the u32 fields of a conv/pool geometry: four of them overflow a usize.
const G: u32 = u32::MAX;

/// Exports that take no dimensions (or only a byte count `ct_alloc` refuses itself).
const NO_DIMENSIONS: &[&str] = &[
    "ct_alloc",
    "ct_free",
    "ct_abi_version",
    "ct_isa",
    "ct_set_tile_cache",
    "ct_conv_algorithm",
    "ct_aug_philox",
    // the threads build's pool (wasm32 + atomics only): ct_thread_alloc checks its sum itself
    "ct_set_threads_min_work",
    "ct_set_threads",
    "ct_threads_worker_parts",
    "ct_threads_ready",
    "ct_thread_alloc",
    "ct_thread_run",
    "ct_thread_poison",
    "ct_threads_poisoned",
];

struct Bufs {
    f: Vec<f32>,
    g: Vec<f32>,
    h: Vec<f32>,
    u: Vec<u32>,
    b: Vec<u8>,
    o: Vec<f64>,
}

type Case = (&'static str, Box<dyn Fn(&mut Bufs) -> i32>);

fn case(name: &'static str, f: impl Fn(&mut Bufs) -> i32 + 'static) -> Case {
    (name, Box::new(f))
}

fn geom(n: u32, c: u32, hw: u32, cout: u32, k: u32) -> [u32; 11] {
    [n, c, hw, hw, cout, k, k, 1, 1, 0, 0]
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    vec![
        // loss
        case("ct_ntxent", |b| unsafe { ct_ntxent(b.f.as_ptr(), BIG, BIG, 0.1, b.g.as_mut_ptr(), b.o.as_mut_ptr()) }),
        case("ct_infonce", |b| unsafe { ct_infonce(b.f.as_ptr(), b.f.as_ptr(), BIG, BIG, 0.1, 0, b.g.as_mut_ptr(), b.h.as_mut_ptr(), b.o.as_mut_ptr()) }),
        case("ct_infonce_negatives", |b| unsafe {
            ct_infonce_negatives(b.f.as_ptr(), b.f.as_ptr(), 1, b.f.as_ptr(), BIG, BIG, 0.1, b.g.as_mut_ptr(), b.h.as_mut_ptr(), b.g.as_mut_ptr(), b.o.as_mut_ptr())
        }),
        case("ct_supcon", |b| unsafe { ct_supcon(b.f.as_ptr(), b.u.as_ptr(), BIG, BIG, 0.1, b.g.as_mut_ptr(), b.o.as_mut_ptr()) }),
        // ra x ra output wraps although ra x d fits
        case("ct_cosine", |b| unsafe { ct_cosine(b.f.as_ptr(), BIG, null(), 0, 1, b.g.as_mut_ptr()) }),
        case("ct_softmax_xent", |b| unsafe { ct_softmax_xent(b.f.as_ptr(), BIG, BIG, b.u.as_ptr(), b.g.as_mut_ptr(), b.o.as_mut_ptr()) }),
        // methods
        case("ct_triplet", |b| unsafe { ct_triplet(b.f.as_ptr(), b.u.as_ptr(), BIG, BIG, 0.1, 0, 1, 0, 0.2, 0, b.g.as_mut_ptr(), b.o.as_mut_ptr()) }),
        case("ct_multisim", |b| unsafe { ct_multisim(b.f.as_ptr(), b.u.as_ptr(), BIG, BIG, 2.0, 50.0, 0.5, 1, 0.1, b.g.as_mut_ptr(), b.o.as_mut_ptr()) }),
        case("ct_dcl", |b| unsafe { ct_dcl(b.f.as_ptr(), b.f.as_ptr(), BIG, BIG, 0.1, 0.0, b.g.as_mut_ptr(), b.h.as_mut_ptr(), b.o.as_mut_ptr()) }),
        case("ct_negcos", |b| unsafe { ct_negcos(b.f.as_ptr(), b.f.as_ptr(), BIG, BIG, b.g.as_mut_ptr(), b.h.as_mut_ptr(), b.o.as_mut_ptr()) }),
        // d x d wraps although n x d fits
        case("ct_barlow", |b| unsafe { ct_barlow(b.f.as_ptr(), b.f.as_ptr(), 2, BIG, 0.005, b.g.as_mut_ptr(), b.h.as_mut_ptr(), b.o.as_mut_ptr()) }),
        case("ct_vicreg", |b| unsafe { ct_vicreg(b.f.as_ptr(), b.f.as_ptr(), 2, BIG, 25.0, 25.0, 1.0, 1e-4, b.g.as_mut_ptr(), b.h.as_mut_ptr(), b.o.as_mut_ptr()) }),
        case("ct_ema", |b| unsafe { ct_ema(b.g.as_mut_ptr(), b.f.as_ptr(), HUGE, 0.5) }),
        // nn
        case("ct_gemm", |b| unsafe { ct_gemm(BIG, 1, BIG, b.f.as_ptr(), 0, b.f.as_ptr(), 0, b.g.as_mut_ptr(), 1) }),
        case("ct_linear_forward", |b| unsafe { ct_linear_forward(b.f.as_ptr(), BIG, 1, b.f.as_ptr(), BIG, null(), b.g.as_mut_ptr()) }),
        case("ct_linear_backward", |b| unsafe {
            ct_linear_backward(b.f.as_ptr(), BIG, 1, b.f.as_ptr(), BIG, b.f.as_ptr(), b.g.as_mut_ptr(), b.h.as_mut_ptr(), null_mut())
        }),
        case("ct_activation_forward", |b| unsafe { ct_activation_forward(0, b.f.as_ptr(), HUGE, b.g.as_mut_ptr()) }),
        case("ct_activation_backward", |b| unsafe { ct_activation_backward(1, b.f.as_ptr(), b.f.as_ptr(), HUGE, b.g.as_mut_ptr()) }),
        case("ct_mul", |b| unsafe { ct_mul(b.f.as_ptr(), b.f.as_ptr(), HUGE, b.g.as_mut_ptr()) }),
        case("ct_dropout_forward", |b| unsafe { ct_dropout_forward(b.f.as_ptr(), HUGE, 0.5, 1, 0, 0, 0, b.g.as_mut_ptr(), b.h.as_mut_ptr()) }),
        case("ct_batchnorm_forward", |b| unsafe {
            let (p, q) = (b.g.as_mut_ptr(), b.h.as_mut_ptr());
            ct_batchnorm_forward(b.f.as_ptr(), BIG, 1, BIG, null(), null(), p, q, 0.1, 1e-5, 1, p, q, p)
        }),
        case("ct_batchnorm_backward", |b| unsafe {
            ct_batchnorm_backward(b.f.as_ptr(), b.f.as_ptr(), BIG, 1, BIG, null(), b.f.as_ptr(), b.f.as_ptr(), 1, b.g.as_mut_ptr(), null_mut(), null_mut())
        }),
        case("ct_conv2d_forward", |b| unsafe { ct_conv2d_forward(geom(G, G, G, 1, 1).as_ptr(), b.f.as_ptr(), b.f.as_ptr(), null(), b.g.as_mut_ptr()) }),
        case("ct_conv2d_backward", |b| unsafe {
            ct_conv2d_backward(geom(G, G, G, 1, 1).as_ptr(), b.f.as_ptr(), b.f.as_ptr(), b.f.as_ptr(), b.g.as_mut_ptr(), b.h.as_mut_ptr(), null_mut())
        }),
        case("ct_conv2d_backward_some", |b| unsafe {
            ct_conv2d_backward_some(geom(1, G, 1, G, 1).as_ptr(), b.f.as_ptr(), b.f.as_ptr(), b.f.as_ptr(), null_mut(), b.h.as_mut_ptr(), null_mut())
        }),
        case("ct_pool2d_forward", |b| unsafe { ct_pool2d_forward(0, geom(G, G, G, 0, 1).as_ptr(), b.f.as_ptr(), b.g.as_mut_ptr(), b.u.as_mut_ptr()) }),
        case("ct_pool2d_backward", |b| unsafe { ct_pool2d_backward(1, geom(G, G, G, 0, 1).as_ptr(), b.f.as_ptr(), b.u.as_ptr(), b.g.as_mut_ptr()) }),
        case("ct_global_avgpool_forward", |b| unsafe { ct_global_avgpool_forward(b.f.as_ptr(), BIG, BIG, b.g.as_mut_ptr()) }),
        case("ct_global_avgpool_backward", |b| unsafe { ct_global_avgpool_backward(b.f.as_ptr(), BIG, BIG, b.g.as_mut_ptr()) }),
        case("ct_l2normalize_forward", |b| unsafe { ct_l2normalize_forward(b.f.as_ptr(), BIG, BIG, b.g.as_mut_ptr()) }),
        case("ct_l2normalize_backward", |b| unsafe { ct_l2normalize_backward(b.f.as_ptr(), b.f.as_ptr(), BIG, BIG, b.g.as_mut_ptr()) }),
        // optim
        case("ct_sgd_step", |b| unsafe { ct_sgd_step(b.g.as_mut_ptr(), b.f.as_ptr(), b.h.as_mut_ptr(), HUGE, 0.1, 0.9, 0.0, 0.0, 0, 1) }),
        case("ct_adam_step", |b| unsafe {
            let (p, m) = (b.g.as_mut_ptr(), b.h.as_mut_ptr());
            ct_adam_step(p, b.f.as_ptr(), m, m, HUGE, 1e-3, 0.9, 0.999, 1e-8, 0.0, 1, 1)
        }),
        case("ct_lars_step", |b| unsafe { ct_lars_step(b.g.as_mut_ptr(), b.f.as_ptr(), b.h.as_mut_ptr(), HUGE, 0.1, 0.9, 1e-6, 1e-3, 1, 0, b.o.as_mut_ptr()) }),
        case("ct_sumsq", |b| unsafe { ct_sumsq(b.f.as_ptr(), HUGE, b.o.as_mut_ptr()) }),
        case("ct_scale", |b| unsafe { ct_scale(b.g.as_mut_ptr(), HUGE, 0.5) }),
        // resnet
        case("ct_residual_add", |b| unsafe { ct_residual_add(b.f.as_ptr(), b.f.as_ptr(), HUGE, 1, b.g.as_mut_ptr()) }),
        // runtime (-2: not a buffer)
        case("ct_first_nonfinite", |b| unsafe { ct_first_nonfinite(b.f.as_ptr(), HUGE) + 2 + OUT_OF_MEMORY }),
        // augment
        case("ct_aug_from_hwc", |b| unsafe { ct_aug_from_hwc(b.b.as_ptr(), 1, BIG, BIG, 1, 3, b.g.as_mut_ptr()) }),
        case("ct_aug_resized_crop", |b| unsafe {
            ct_aug_resized_crop(b.f.as_ptr(), 1, 1, 1, 1, b.u.as_ptr(), b.u.as_ptr(), BIG, BIG, b.g.as_mut_ptr())
        }),
        case("ct_aug_flip", |b| unsafe { ct_aug_flip(b.g.as_mut_ptr(), BIG, 1, BIG, 1, b.u.as_ptr()) }),
        case("ct_aug_affine", |b| unsafe { ct_aug_affine(b.f.as_ptr(), BIG, 3, BIG, 1, b.f.as_ptr(), 0, null(), b.g.as_mut_ptr()) }),
        case("ct_aug_move_images", |b| unsafe { ct_aug_move_images(b.f.as_ptr(), BIG, b.g.as_mut_ptr(), 1, BIG, b.u.as_ptr(), 1, 0) }),
        case("ct_aug_color_jitter", |b| unsafe { ct_aug_color_jitter(b.g.as_mut_ptr(), BIG, 3, 1, BIG, b.f.as_ptr(), b.u.as_ptr()) }),
        case("ct_aug_grayscale", |b| unsafe { ct_aug_grayscale(b.g.as_mut_ptr(), BIG, 3, BIG, 1, b.u.as_ptr()) }),
        case("ct_aug_gaussian_blur", |b| unsafe { ct_aug_gaussian_blur(b.g.as_mut_ptr(), 1, 1, BIG, BIG, 3, b.f.as_ptr()) }),
        case("ct_aug_solarize", |b| unsafe { ct_aug_solarize(b.g.as_mut_ptr(), BIG, BIG, b.f.as_ptr()) }),
        case("ct_aug_normalize", |b| unsafe { ct_aug_normalize(b.g.as_mut_ptr(), BIG, 1, BIG, b.f.as_ptr(), b.f.as_ptr()) }),
        case("ct_aug_erase", |b| unsafe { ct_aug_erase(b.g.as_mut_ptr(), BIG, 1, BIG, 1, b.u.as_ptr(), b.f.as_ptr()) }),
        case("ct_aug_noise", |b| unsafe { ct_aug_noise(b.g.as_mut_ptr(), BIG, BIG, b.u.as_ptr(), b.f.as_ptr(), 1) }),
        // sentence
        case("ct_mnrl", |b| unsafe {
            ct_mnrl(b.f.as_ptr(), b.f.as_ptr(), BIG, 0, BIG, 0.05, 0, null(), null(), 0, b.g.as_mut_ptr(), b.h.as_mut_ptr(), b.o.as_mut_ptr())
        }),
        case("ct_cosent", |b| unsafe {
            ct_cosent(b.f.as_ptr(), b.f.as_ptr(), b.f.as_ptr(), 1, HUGE, 20.0, null(), null(), 0, b.g.as_mut_ptr(), b.h.as_mut_ptr(), b.o.as_mut_ptr())
        }),
        case("ct_pair_margin", |b| unsafe {
            ct_pair_margin(b.f.as_ptr(), b.f.as_ptr(), b.f.as_ptr(), 1, HUGE, 0.5, null(), null(), 0, b.g.as_mut_ptr(), b.h.as_mut_ptr(), b.o.as_mut_ptr())
        }),
        case("ct_topk_update", |b| unsafe { ct_topk_update(b.f.as_ptr(), BIG, b.f.as_ptr(), 1, 1, BIG, 0, 1, b.g.as_mut_ptr(), b.u.as_mut_ptr()) }),
        case("ct_topk_unit_rows", |b| unsafe { ct_topk_unit_rows(b.g.as_mut_ptr(), BIG, BIG) }),
        case("ct_topk_finish", |b| unsafe { ct_topk_finish(BIG, BIG, 1, b.g.as_mut_ptr(), b.u.as_mut_ptr()) }),
        // text
        case("ct_embedding_forward", |b| unsafe { ct_embedding_forward(b.f.as_ptr(), 1, BIG, b.u.as_ptr(), BIG, b.g.as_mut_ptr()) }),
        case("ct_embedding_backward", |b| unsafe {
            let len = b.u.as_mut_ptr().add(8);
            *len = 0;
            ct_embedding_backward(b.u.as_ptr(), 1, b.f.as_ptr(), BIG, BIG, -1, null(), b.g.as_mut_ptr(), b.b.as_mut_ptr(), b.u.as_mut_ptr(), len)
        }),
        case("ct_embedding_zero_rows", |b| unsafe { ct_embedding_zero_rows(b.g.as_mut_ptr(), BIG, BIG, b.b.as_mut_ptr(), b.u.as_ptr(), 0) }),
        case("ct_sgd_rows", |b| unsafe { ct_sgd_rows(b.g.as_mut_ptr(), b.f.as_ptr(), BIG, BIG, b.u.as_ptr(), 0, 0.1) }),
        case("ct_sparse_adam_rows", |b| unsafe {
            let (p, m) = (b.g.as_mut_ptr(), b.h.as_mut_ptr());
            ct_sparse_adam_rows(p, b.f.as_ptr(), m, m, BIG, BIG, b.u.as_ptr(), 0, 1e-3, 0.9, 0.999, 1e-8, 1)
        }),
        case("ct_token_pool_forward", |b| unsafe { ct_token_pool_forward(1, b.f.as_ptr(), BIG, 1, BIG, b.f.as_ptr(), b.g.as_mut_ptr(), null_mut()) }),
        case("ct_token_pool_backward", |b| unsafe { ct_token_pool_backward(1, b.f.as_ptr(), BIG, 1, BIG, b.f.as_ptr(), null(), b.g.as_mut_ptr()) }),
        case("ct_layernorm_forward", |b| unsafe { ct_layernorm_forward(b.f.as_ptr(), BIG, BIG, null(), null(), 1e-5, b.g.as_mut_ptr(), b.h.as_mut_ptr()) }),
        case("ct_layernorm_backward", |b| unsafe {
            ct_layernorm_backward(b.f.as_ptr(), b.f.as_ptr(), BIG, BIG, null(), b.f.as_ptr(), b.g.as_mut_ptr(), null_mut(), null_mut())
        }),
        case("ct_add", |b| unsafe { ct_add(b.f.as_ptr(), b.f.as_ptr(), HUGE, b.g.as_mut_ptr()) }),
        case("ct_qkv_forward", |b| unsafe {
            let f = b.f.as_ptr();
            ct_qkv_forward(f, 1, BIG, f, null(), f, null(), f, null(), b.g.as_mut_ptr())
        }),
        case("ct_qkv_backward", |b| unsafe {
            let (f, g) = (b.f.as_ptr(), b.g.as_mut_ptr());
            ct_qkv_backward(f, 1, BIG, f, f, f, f, null_mut(), g, null_mut(), g, null_mut(), g, null_mut())
        }),
        case("ct_attention_forward", |b| unsafe {
            ct_attention_forward(BIG, 1, BIG, 1, b.f.as_ptr(), b.f.as_ptr(), 0.0, 0, 0, 0, 0, b.g.as_mut_ptr(), b.h.as_mut_ptr())
        }),
        // a sequence whose per-thread scratch (about 3 x 64 x s floats) cannot exist
        case("ct_attention_backward", |b| unsafe {
            let f = b.f.as_ptr();
            ct_attention_backward(1, HUGE / 64, 1, 1, f, f, 0.0, 0, 0, 0, 0, f, f, f, b.g.as_mut_ptr())
        }),
        case("ct_attention_scratch_floats", |_| if ct_attention_scratch_floats(HUGE) == usize::MAX { OUT_OF_MEMORY } else { OK }),
    ]
}

#[test]
fn every_export_returns_out_of_memory_for_dimensions_whose_product_overflows() {
    let mut b = Bufs { f: vec![0.5; 64], g: vec![0.0; 64], h: vec![0.0; 64], u: vec![0; 64], b: vec![0; 64], o: vec![0.0; 4] };
    let (f0, u0) = (b.g.clone(), b.u.clone());
    let mut wrong = Vec::new();
    for (name, call) in cases() {
        let before = HUGE_REQUESTS.load(Relaxed);
        let status = call(&mut b);
        if status != OUT_OF_MEMORY {
            wrong.push(format!("{name}: status {status}"));
        }
        if HUGE_REQUESTS.load(Relaxed) != before {
            wrong.push(format!("{name}: reached its kernel, which asked for 4 GiB or more"));
        }
        assert!(b.g == f0 && b.h == f0, "{name} wrote into its output");
        assert_eq!(b.u[..8], u0[..8], "{name} wrote into its index buffer");
    }
    assert!(wrong.is_empty(), "not OUT_OF_MEMORY: {wrong:?}");
}

#[test]
fn the_overflow_table_covers_every_export() {
    let sources = [
        include_str!("../abi.rs"),
        include_str!("augment.rs"),
        include_str!("loss.rs"),
        include_str!("methods.rs"),
        include_str!("nn.rs"),
        include_str!("optim.rs"),
        include_str!("resnet.rs"),
        include_str!("runtime.rs"),
        include_str!("sentence.rs"),
        include_str!("text.rs"),
    ];
    let tested: Vec<&str> = cases().iter().map(|c| c.0).collect();
    let mut missing = Vec::new();
    for src in sources {
        for part in src.split("extern \"C\" fn ").skip(1) {
            let name = &part[..part.find('(').unwrap()];
            if !tested.contains(&name) && !NO_DIMENSIONS.contains(&name) {
                missing.push(name.to_string());
            }
        }
    }
    assert!(missing.is_empty(), "exports missing from the overflow table: {missing:?}");
}
