//! Layer kernels, forward and backward, in PyTorch's layouts (Linear weight out x in, NCHW).
//! Conventions: a backward pass overwrites the input gradient and ACCUMULATES (+=) into
//! parameter gradients, as autograd does into `.grad`.

pub mod activation;
pub mod attention;
pub mod batchnorm;
pub mod conv2d;
pub mod dropout;
pub mod embedding;
pub mod layernorm;
pub mod linear;
pub mod pool;
pub mod residual;
pub mod window;
pub mod winograd;
pub mod winograd4;
pub mod token_pool;

#[cfg(test)]
pub(crate) mod fd;
