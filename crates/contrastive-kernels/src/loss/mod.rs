//! The InfoNCE family: normalization, the fused streaming cross-entropy over cosine logits,
//! and the losses built on it. docs/math.md derives every formula implemented here.
//! Beside them, in f64 on small dense matrices: the metric-learning losses (triplet.rs with its
//! miners, multisim.rs; distances in pairdist.rs) and the non-InfoNCE self-supervised losses
//! (dcl.rs, negcos.rs, barlow.rs, vicreg.rs), each file headed by its formula.

pub mod barlow;
pub mod cache;
pub mod clip;
pub mod core;
pub mod cosine;
pub mod dcl;
pub mod infonce;
pub mod multisim;
pub mod negcos;
pub mod normalize;
pub mod ntxent;
pub mod pairdist;
pub mod selfsim;
pub mod softmax;
pub mod supcon;
pub mod triplet;
pub mod vicreg;

#[cfg(test)]
pub(crate) mod oracle;

/// What a loss returns besides its gradients.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LossOut {
    /// The loss (a mean over its terms).
    pub loss: f64,
    /// d loss / d tau.
    pub dtau: f64,
}
// sentence embeddings (sentence-transformers' losses)
pub mod cosent;
pub mod matryoshka;
pub mod mnrl;
pub mod pair_margin;
#[cfg(test)]
pub(crate) mod sentence_oracle;
