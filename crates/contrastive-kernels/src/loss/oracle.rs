//! Test oracle: every loss written again from its definition, densely, in f64, and gradients by
//! central finite differences of that f64 loss (independent of the analytic backward pass).

use super::sentence_oracle::{check, lse, unit};
use super::LossOut;
use crate::testutil::Rng;

pub enum Family {
    NtXent,
    InfoNce,
    Symmetric,
    Negatives { n: usize, m: usize },
    SupCon(Vec<u32>),
}

/// Gaussian rows, each rescaled by a factor in [0.1, 10] so norms differ by two orders.
pub fn rand_rows(rows: usize, d: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng(seed.wrapping_mul(0x2545F4914F6CDD1D) ^ 0x1234_5678);
    let mut v = Vec::with_capacity(rows * d);
    for _ in 0..rows {
        let s = 10f64.powf(rng.uniform() * 2.0 - 1.0) as f32;
        for _ in 0..d {
            v.push(rng.normal() * s);
        }
    }
    v
}

fn dotd(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn infonce64(q: &[f64], k: &[f64], d: usize, tau: f64) -> f64 {
    let (qu, ku) = (unit(q, d), unit(k, d));
    let n = q.len() / d;
    let mut l = 0.0;
    for i in 0..n {
        let row: Vec<f64> = (0..n).map(|j| dotd(&qu[i * d..(i + 1) * d], &ku[j * d..(j + 1) * d]) / tau).collect();
        l += lse(&row) - row[i];
    }
    l / n as f64
}

pub fn loss64(f: &Family, x: &[Vec<f64>], d: usize, tau: f64) -> f64 {
    match f {
        Family::NtXent | Family::SupCon(_) => {
            let u = unit(&x[0], d);
            let r = u.len() / d;
            let labels: Vec<u32> = match f {
                Family::SupCon(l) => l.clone(),
                _ => (0..r as u32).map(|i| i % (r as u32 / 2)).collect(),
            };
            let (mut l, mut anchors) = (0.0, 0usize);
            for i in 0..r {
                let pos: Vec<usize> = (0..r).filter(|&k| k != i && labels[k] == labels[i]).collect();
                if pos.is_empty() {
                    continue;
                }
                let lg: Vec<f64> = (0..r).map(|k| dotd(&u[i * d..(i + 1) * d], &u[k * d..(k + 1) * d]) / tau).collect();
                let cand: Vec<f64> = (0..r).filter(|&k| k != i).map(|k| lg[k]).collect();
                let z = lse(&cand);
                l += pos.iter().map(|&p| z - lg[p]).sum::<f64>() / pos.len() as f64;
                anchors += 1;
            }
            if anchors == 0 {
                0.0
            } else {
                l / anchors as f64
            }
        }
        Family::InfoNce => infonce64(&x[0], &x[1], d, tau),
        Family::Symmetric => 0.5 * (infonce64(&x[0], &x[1], d, tau) + infonce64(&x[1], &x[0], d, tau)),
        Family::Negatives { n, m } => {
            let (q, p, ng) = (unit(&x[0], d), unit(&x[1], d), unit(&x[2], d));
            let mut l = 0.0;
            for i in 0..*n {
                let qi = &q[i * d..(i + 1) * d];
                let mut row = vec![dotd(qi, &p[i * d..(i + 1) * d]) / tau];
                row.extend((0..*m).map(|j| dotd(qi, &ng[j * d..(j + 1) * d]) / tau));
                l += lse(&row) - row[0];
            }
            l / *n as f64
        }
    }
}

/// Asserts the f32 kernel's loss, d loss/d tau and input gradients against the f64 oracle
/// (the shared check of [`super::sentence_oracle::check`]).
pub fn check_grads(f: &Family, inputs: &[&[f32]], d: usize, tau: f32, out: LossOut, grads: &[&[f32]]) {
    check(&|x: &[Vec<f64>], t: f64| loss64(f, x, d, t), inputs, d, tau, out, grads)
}
