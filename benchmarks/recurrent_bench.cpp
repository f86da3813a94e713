// One training step of a recurrent language-model-like network, issue 19's setting: embedding 64 (a [64, 64] table,
// index_select) → Elman RNN (tanh), LSTM or GRU, hidden 128 → 64-way linear head, softmax cross-entropy at every
// step, sequence 32, batch 32, float32, SGD, one thread; reported as sequences per CPU second (= per second of wall
// time on an idle machine: one thread). The recurrence written four ways:
//   sequence  the input projection of all steps as one GEMM, then rnn/lstm/gru_sequence (one node)
//   cells     per step: embedding, rnn/lstm/gru_cell; the states joined for one head GEMM
//   unfused   per step as cells, the cell written with existing ops (linear, add, tanh / sigmoid, mul)
//   sliced    the projection of all steps as one GEMM, sliced per step (narrow) into an unfused step: each slice's
//             gradient is a full-size tensor, so the backward costs O(T²)
// Names: <kind>/<variant>/T32/N32, e.g. rnn/sequence/T32/N32.
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/kernels/parallel.hpp"
#include "autograd/ops.hpp"
#include "benchmarks/step_bench.hpp"
#include "nn/optim/sgd.hpp"

namespace {

using dg::Tensor;
using Tf = Tensor<float>;

constexpr std::size_t steps = 32, batch = 32, vocab = 64, embed = 64, hidden = 128, classes = 64;
constexpr double lr = 0.01;

enum class Kind { rnn, lstm, gru };
enum class Variant { sequence, cells, unfused, sliced };

/// The parameters (PyTorch's layout) and one fixed batch of token ids and next-token targets.
struct Model {
    std::size_t gates;
    Tf table, w_ih, w_hh, b_ih, b_hh, w_out, b_out, h0, c0;
    std::vector<std::vector<std::size_t>> ids;  // ids[t]: the N tokens of step t
    std::vector<std::size_t> all_ids, targets;  // step after step, T·N each

    Model(Kind kind, dg::Generator& gen) : gates(kind == Kind::lstm ? 4 : kind == Kind::gru ? 3 : 1) {
        const float k = 1.0f / std::sqrt(static_cast<float>(hidden));  // PyTorch's uniform(−1/√H, 1/√H)
        table = Tf::randn({vocab, embed}, gen, 0, 1, true);
        w_ih = Tf::rand({gates * hidden, embed}, gen, -k, k, true);
        w_hh = Tf::rand({gates * hidden, hidden}, gen, -k, k, true);
        b_ih = Tf::rand({gates * hidden}, gen, -k, k, true);
        b_hh = Tf::rand({gates * hidden}, gen, -k, k, true);
        w_out = Tf::rand({classes, hidden}, gen, -k, k, true);
        b_out = Tf::rand({classes}, gen, -k, k, true);
        h0 = Tf::zeros({batch, hidden});
        c0 = Tf::zeros({batch, hidden});
        ids.resize(steps);
        for (std::size_t t = 0; t < steps; ++t)
            for (std::size_t n = 0; n < batch; ++n) {
                ids[t].push_back(gen.below(vocab));
                all_ids.push_back(ids[t].back());
                targets.push_back(gen.below(classes));
            }
    }
    std::vector<Tf> parameters() const { return {table, w_ih, w_hh, b_ih, b_hh, w_out, b_out}; }
};

/// The hidden states of every step, [T·N, H], computed as `variant` says.
Tf hidden_states(const Model& m, Kind kind, Variant variant) {
    if (variant == Variant::sequence) {
        const Tf xp = linear(index_select(m.table, m.all_ids), m.w_ih, m.b_ih);  // [T·N, G·H]
        if (kind == Kind::rnn) return rnn_sequence(xp, m.h0, m.w_hh, m.b_hh);
        if (kind == Kind::gru) return gru_sequence(xp, m.h0, m.w_hh, m.b_hh);
        return narrow(lstm_sequence(xp, m.h0, m.c0, m.w_hh, m.b_hh), 0, 0, steps * batch);  // the h_t rows
    }
    const Tf xp_all = variant == Variant::sliced ? linear(index_select(m.table, m.all_ids), m.w_ih, m.b_ih) : Tf();
    std::vector<Tf> hs;
    Tf h = m.h0, c = m.c0;
    for (std::size_t t = 0; t < steps; ++t) {
        if (variant == Variant::cells) {
            const Tf x = index_select(m.table, m.ids[t]);
            if (kind == Kind::rnn) {
                h = rnn_cell(x, h, m.w_ih, m.w_hh, m.b_ih, m.b_hh);
            } else if (kind == Kind::gru) {
                h = gru_cell(x, h, m.w_ih, m.w_hh, m.b_ih, m.b_hh);
            } else {
                const dg::LstmState<float> s = lstm_cell(x, h, c, m.w_ih, m.w_hh, m.b_ih, m.b_hh);
                h = s.h;
                c = s.c;
            }
        } else {
            const Tf xp = variant == Variant::sliced ? narrow(xp_all, 0, t * batch, batch)
                                                     : linear(index_select(m.table, m.ids[t]), m.w_ih, m.b_ih);
            const Tf a = add(xp, linear(h, m.w_hh, m.b_hh));
            if (kind == Kind::rnn) {
                h = tanh(a);
            } else {
                const Tf i = sigmoid(narrow(a, 1, 0, hidden)), f = sigmoid(narrow(a, 1, hidden, hidden));
                const Tf g = tanh(narrow(a, 1, 2 * hidden, hidden)), o = sigmoid(narrow(a, 1, 3 * hidden, hidden));
                c = add(mul(f, c), mul(i, g));
                h = mul(o, tanh(c));
            }
        }
        hs.push_back(h);
    }
    return concat(hs, 0);
}

/// One step; `from_environment`: on DG_NUM_THREADS threads (benchmarks/compare's rows), else on one; `fused`: written
/// as opt.backward_and_step(loss).
void train_step(benchmark::State& state, Kind kind, Variant variant, bool from_environment, bool fused) {
    dg::set_num_threads(from_environment ? dg::detail::threads_from_environment() : 1);
    dg::Generator gen(42);
    Model m(kind, gen);
    dg::optim::SGD<float> opt(m.parameters(), dg::optim::SGDOptions(lr));
    dg::bench::train_steps(
        state, opt,
        [&] { return softmax_cross_entropy(linear(hidden_states(m, kind, variant), m.w_out, m.b_out), m.targets); },
        fused);
    dg::bench::set_rate(state, double(batch), "sequences_per_s");
}

}  // namespace

int main(int argc, char** argv) {
    dg::bench::add_kernel_context();
    const std::pair<Kind, const char*> kinds[] = {{Kind::rnn, "rnn"}, {Kind::lstm, "lstm"}, {Kind::gru, "gru"}};
    const std::pair<Variant, const char*> variants[] = {{Variant::sequence, "sequence"},
                                                        {Variant::cells, "cells"},
                                                        {Variant::unfused, "unfused"},
                                                        {Variant::sliced, "sliced"}};
    for (const auto& [kind, kname] : kinds)
        for (const auto& [variant, vname] : variants) {
            // The unfused GRU step is not written here: its fused op is checked against one in the tests.
            if (kind == Kind::gru && (variant == Variant::unfused || variant == Variant::sliced)) continue;
            const std::string name = std::string(kname) + "/" + vname + "/T32/N32";
            benchmark::RegisterBenchmark(name.c_str(), train_step, kind, variant, false, false)
                ->Unit(benchmark::kMillisecond);
        }
    // The sequence variant under the names benchmarks/compare pairs with torch_bench's (torch::nn::RNN / LSTM):
    // DG_NUM_THREADS threads; CPU time of the calling thread unless DG_BENCH_TIME=real (step_bench.hpp).
    const std::pair<Kind, const char*> rows[] = {{Kind::rnn, "rnn-tanh-h128-T32"}, {Kind::lstm, "lstm-h128-T32"}};
    for (const auto& [kind, wname] : rows)
        for (bool fused : {false, true}) {
            const std::string name = std::string("f32/") + (fused ? "fused/" : "ours/") + wname + "/b32";
            dg::bench::compare_clock(
                benchmark::RegisterBenchmark(name.c_str(), train_step, kind, Variant::sequence, true, fused));
        }
    return dg::bench::run_benchmarks(argc, argv);
}
