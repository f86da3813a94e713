// The floor of conv_bench's LeNet-5 training step (f32/floor/lenet5/b64): forward, softmax cross-entropy, backward and
// the SGD update written by hand as im2col + blas::gemm and plain loops, with no graph and every buffer allocated
// once; the counterpart of the MLP rows' floor (reference::delta_sgd_step). The textbook im2col (one column per output
// pixel), kept for the whole batch so that the weight gradients need no second im2col.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "autograd/kernels/blas.hpp"
#include "autograd/kernels/sum_to.hpp"

namespace dg::bench {

/// LeNet-5 on 1×28×28 images: pad-2 conv 6@5×5, ReLU, max-pool 2, conv 16@5×5, ReLU, max-pool 2, flatten, 120,
/// ReLU, 84, ReLU, 10. Activations are channel-major, [C, N·H·W], so that each convolution is one GEMM over the batch.
class LeNetFloor {
public:
    /// The parameters, in deltagrad's layouts (conv [O, C, 5, 5], dense [out, in]) and LeNet's order: conv1 weight,
    /// bias, conv2 weight, bias, fc1, fc2, fc3 weight and bias.
    LeNetFloor(std::size_t batch, std::vector<std::vector<float>> params)
        : n_(batch), p_(std::move(params)), xpad_(n_ * 32 * 32, 0.0f), col1_(25 * n_ * 784), z1_(6 * n_ * 784),
          arg1_(n_ * 6 * 196), p1_(n_ * 6 * 196), col2_(150 * n_ * 100), z2_(16 * n_ * 100), arg2_(n_ * 400),
          h_(n_ * 400), a3_(n_ * 120), a4_(n_ * 84), out_(n_ * 10), d4_(n_ * 84), d3_(n_ * 120), dh_(n_ * 400),
          dz2_(16 * n_ * 100), dcol2_(150 * chunk * 100), dp1_(n_ * 6 * 196), dz1_(6 * n_ * 784) {}

    /// One step on images x [N, 1, 28, 28] with class labels; returns the mean loss before the update.
    float step(const float* x, const std::size_t* labels, float lr) {
        const std::size_t n = n_, l1 = n * 784, l2 = n * 100;
        float *w1 = p_[0].data(), *b1 = p_[1].data(), *w2 = p_[2].data(), *b2 = p_[3].data();
        float *f1 = p_[4].data(), *g1 = p_[5].data(), *f2 = p_[6].data(), *g2 = p_[7].data();
        float *f3 = p_[8].data(), *g3 = p_[9].data();
        // conv1: the padded images (their border stays zero); then, chunk by chunk of images, im2col and the GEMM
        // that reads it while it is in the cache; bias and ReLU; max-pool to p1 [N, 6, 14, 14].
        for (std::size_t b = 0; b < n; ++b)
            for (std::size_t y = 0; y < 28; ++y) copy(x + (b * 28 + y) * 28, 28, &xpad_[b * 1024 + (y + 2) * 32 + 2]);
        for (std::size_t b0 = 0; b0 < n; b0 += chunk) {
            const std::size_t nb = std::min(chunk, n - b0);
            for (std::size_t i = 0; i < 5; ++i)
                for (std::size_t j = 0; j < 5; ++j)
                    for (std::size_t b = b0; b < b0 + nb; ++b)
                        for (std::size_t y = 0; y < 28; ++y)
                            copy(&xpad_[b * 1024 + (y + i) * 32 + j], 28, &col1_[(i * 5 + j) * l1 + b * 784 + y * 28]);
            blas::gemm(false, false, 6, nb * 784, 25, 1.0f, w1, 25, &col1_[b0 * 784], l1, 0.0f, &z1_[b0 * 784], l1);
        }
        bias_relu(z1_.data(), b1, 6, l1);
        for (std::size_t c = 0; c < 6; ++c)
            for (std::size_t b = 0; b < n; ++b)
                pool(&z1_[c * l1 + b * 784], 28, std::uint32_t(c * l1 + b * 784), &p1_[(b * 6 + c) * 196],
                     &arg1_[(b * 6 + c) * 196]);
        // conv2 likewise, then max-pool to h [N, 400] (flatten's order: c, y, x).
        for (std::size_t b0 = 0; b0 < n; b0 += chunk) {
            const std::size_t nb = std::min(chunk, n - b0);
            for (std::size_t c = 0; c < 6; ++c)
                for (std::size_t i = 0; i < 5; ++i)
                    for (std::size_t j = 0; j < 5; ++j)
                        for (std::size_t b = b0; b < b0 + nb; ++b)
                            for (std::size_t y = 0; y < 10; ++y)
                                copy(&p1_[(b * 6 + c) * 196 + (y + i) * 14 + j], 10,
                                     &col2_[((c * 5 + i) * 5 + j) * l2 + b * 100 + y * 10]);
            blas::gemm(false, false, 16, nb * 100, 150, 1.0f, w2, 150, &col2_[b0 * 100], l2, 0.0f, &z2_[b0 * 100],
                       l2);
        }
        bias_relu(z2_.data(), b2, 16, l2);
        for (std::size_t c = 0; c < 16; ++c)
            for (std::size_t b = 0; b < n; ++b)
                pool(&z2_[c * l2 + b * 100], 10, std::uint32_t(c * l2 + b * 100), &h_[b * 400 + c * 25],
                     &arg2_[b * 400 + c * 25]);
        // The dense layers and the loss; out_ becomes δ = (softmax − onehot) / N.
        dense(h_.data(), f1, g1, a3_.data(), 400, 120, true);
        dense(a3_.data(), f2, g2, a4_.data(), 120, 84, true);
        dense(a4_.data(), f3, g3, out_.data(), 84, 10, false);
        double loss = 0;
        for (std::size_t b = 0; b < n; ++b) {
            float* o = &out_[b * 10];
            const float m = *std::max_element(o, o + 10), target = o[labels[b]] - m;
            float s = 0;
            for (std::size_t k = 0; k < 10; ++k) s += (o[k] = std::exp(o[k] - m));
            loss += std::log(s) - target;
            for (std::size_t k = 0; k < 10; ++k) o[k] = (o[k] / s - (k == labels[b] ? 1.0f : 0.0f)) / float(n);
        }
        // Backward through the dense layers, each weight updated right after its δ has gone through it.
        dense_back(out_.data(), f3, g3, a4_.data(), d4_.data(), 84, 10, lr, a4_.data());
        dense_back(d4_.data(), f2, g2, a3_.data(), d3_.data(), 120, 84, lr, a3_.data());
        dense_back(d3_.data(), f1, g1, h_.data(), dh_.data(), 400, 120, lr, nullptr);
        // pool2 and ReLU: δ reaches each window's arg-max where the ReLU passed it. Then conv2: its input's gradient
        // chunk by chunk (Wᵀ·δ, then col2im while it is in the cache) before its update W −= lr·δ·col2ᵀ.
        std::fill(dz2_.begin(), dz2_.end(), 0.0f);
        for (std::size_t q = 0; q < n * 400; ++q) dz2_[arg2_[q]] = z2_[arg2_[q]] > 0 ? dh_[q] : 0.0f;
        std::fill(dp1_.begin(), dp1_.end(), 0.0f);
        for (std::size_t b0 = 0; b0 < n; b0 += chunk) {
            const std::size_t nb = std::min(chunk, n - b0), ld = nb * 100;
            blas::gemm(true, false, 150, ld, 16, 1.0f, w2, 150, &dz2_[b0 * 100], l2, 0.0f, dcol2_.data(), ld);
            for (std::size_t c = 0; c < 6; ++c)
                for (std::size_t i = 0; i < 5; ++i)
                    for (std::size_t j = 0; j < 5; ++j)
                        for (std::size_t b = 0; b < nb; ++b)
                            for (std::size_t y = 0; y < 10; ++y) {
                                const float* src = &dcol2_[((c * 5 + i) * 5 + j) * ld + b * 100 + y * 10];
                                float* dst = &dp1_[((b0 + b) * 6 + c) * 196 + (y + i) * 14 + j];
                                for (std::size_t xx = 0; xx < 10; ++xx) dst[xx] += src[xx];
                            }
        }
        blas::gemm(false, true, 16, 150, l2, -lr, dz2_.data(), l2, col2_.data(), l2, 1.0f, w2, 150);
        bias_step(dz2_.data(), b2, 16, l2, lr);
        // pool1 and ReLU, then conv1's update (no input gradient).
        std::fill(dz1_.begin(), dz1_.end(), 0.0f);
        for (std::size_t q = 0; q < n * 6 * 196; ++q) dz1_[arg1_[q]] = z1_[arg1_[q]] > 0 ? dp1_[q] : 0.0f;
        blas::gemm(false, true, 6, 25, l1, -lr, dz1_.data(), l1, col1_.data(), l1, 1.0f, w1, 25);
        bias_step(dz1_.data(), b1, 6, l1, lr);
        return float(loss / double(n));
    }

    /// The parameters, in the constructor's order (updated by each step).
    const std::vector<std::vector<float>>& params() const { return p_; }

private:
    static constexpr std::size_t chunk = 4;  // images per convolution GEMM: their column matrix stays in the L2 cache

    // to[0..len) = from[0..len): the short runs of im2col, inline (std::copy calls memmove for each).
    static void copy(const float* from, std::size_t len, float* to) {
        for (std::size_t t = 0; t < len; ++t) to[t] = from[t];
    }
    // z[c, ·] = max(z[c, ·] + b[c], 0) for the c < rows rows of length len.
    static void bias_relu(float* z, const float* b, std::size_t rows, std::size_t len) {
        for (std::size_t c = 0; c < rows; ++c)
            for (std::size_t t = 0; t < len; ++t) z[c * len + t] = std::max(z[c * len + t] + b[c], 0.0f);
    }
    // b[c] −= lr·Σ δ[c, ·].
    static void bias_step(const float* d, float* b, std::size_t rows, std::size_t len, float lr) {
        for (std::size_t c = 0; c < rows; ++c) b[c] -= lr * row_sum(d + c * len, len);
    }
    // 2×2 max pooling of one side × side plane z (at offset `at` of its buffer) into (side/2)² outputs and arg-maxes;
    // the first of equal values wins, as max_pool2d. Selects rather than branches (random data mispredicts).
    static void pool(const float* z, std::size_t side, std::uint32_t at, float* y, std::uint32_t* arg) {
        const std::size_t half = side / 2;
        for (std::size_t oy = 0; oy < half; ++oy)
            for (std::size_t ox = 0; ox < half; ++ox) {
                const std::uint32_t first = std::uint32_t(2 * oy * side + 2 * ox);
                float m = z[first];
                std::uint32_t best = first;
                for (std::uint32_t k : {first + 1, first + std::uint32_t(side), first + std::uint32_t(side) + 1}) {
                    const bool take = z[k] > m;
                    m = take ? z[k] : m;
                    best = take ? k : best;
                }
                y[oy * half + ox] = m;
                arg[oy * half + ox] = at + best;
            }
    }
    // y [N, out] = x [N, in]·Wᵀ + b, ReLU'd when `relu`.
    void dense(const float* x, const float* w, const float* b, float* y, std::size_t in, std::size_t out,
               bool relu) {
        blas::gemm(false, true, n_, out, in, 1.0f, x, in, w, in, 0.0f, y, out);
        for (std::size_t r = 0; r < n_; ++r)
            for (std::size_t k = 0; k < out; ++k) {
                const float v = y[r * out + k] + b[k];
                y[r * out + k] = relu ? std::max(v, 0.0f) : v;
            }
    }
    // dx = (δ·W) ⊙ (a > 0) (no mask when a is null), then W −= lr·δᵀ·x and b −= lr·Σ δ.
    void dense_back(const float* d, float* w, float* b, const float* x, float* dx, std::size_t in, std::size_t out,
                    float lr, const float* a) {
        blas::gemm(false, false, n_, in, out, 1.0f, d, out, w, in, 0.0f, dx, in);
        if (a)
            for (std::size_t i = 0; i < n_ * in; ++i) dx[i] = a[i] > 0 ? dx[i] : 0.0f;
        blas::gemm(true, false, out, in, n_, -lr, d, out, x, in, 1.0f, w, in);
        for (std::size_t k = 0; k < out; ++k) {
            float s = 0;
            for (std::size_t r = 0; r < n_; ++r) s += d[r * out + k];
            b[k] -= lr * s;
        }
    }

    std::size_t n_;
    std::vector<std::vector<float>> p_;
    std::vector<float> xpad_, col1_, z1_;
    std::vector<std::uint32_t> arg1_;
    std::vector<float> p1_, col2_, z2_;
    std::vector<std::uint32_t> arg2_;
    std::vector<float> h_, a3_, a4_, out_, d4_, d3_, dh_, dz2_, dcol2_, dp1_, dz1_;
};

}  // namespace dg::bench
