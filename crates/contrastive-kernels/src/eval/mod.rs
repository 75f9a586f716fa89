//! Evaluation kernels: exact top-k search.

pub mod search;
