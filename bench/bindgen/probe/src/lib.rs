use wasm_bindgen::prelude::*;

/// A kernel shaped like ours: reads two matrices, writes a third (row sums of a * b here).
#[wasm_bindgen]
pub fn rowdot(a: &[f32], b: &[f32], d: usize, out: &mut [f32]) -> i32 {
    if a.len() != b.len() || d == 0 || a.len() != out.len() * d {
        return 2;
    }
    for (i, o) in out.iter_mut().enumerate() {
        let mut s = 0.0f32;
        for j in 0..d {
            s += a[i * d + j] * b[i * d + j];
        }
        *o = s;
    }
    0
}

fn rowdot_slices(a: &[f32], b: &[f32], d: usize, out: &mut [f32]) {
    for (i, o) in out.iter_mut().enumerate() {
        let mut s = 0.0f32;
        for j in 0..d {
            s += a[i * d + j] * b[i * d + j];
        }
        *o = s;
    }
}

/// The same kernel through this package's convention: pointers into an arena the caller
/// reserved once, lengths, a status.
///
/// # Safety
/// Buffers of n * d, n * d and n floats.
#[no_mangle]
pub unsafe extern "C" fn rowdot_raw(a: *const f32, b: *const f32, n: usize, d: usize, out: *mut f32) -> i32 {
    if a.is_null() || b.is_null() || out.is_null() || d == 0 {
        return 2;
    }
    rowdot_slices(core::slice::from_raw_parts(a, n * d), core::slice::from_raw_parts(b, n * d), d, core::slice::from_raw_parts_mut(out, n));
    0
}

#[no_mangle]
pub extern "C" fn raw_alloc(bytes: usize) -> *mut u8 {
    let mut v = Vec::<u8>::with_capacity(bytes);
    let p = v.as_mut_ptr();
    core::mem::forget(v);
    p
}
