// Example 16 (notes 000, after the neural language model): character-level language models on the licence texts the
// language_model example reads: the notes' NPLM (an MLP over a fixed window of characters), an Elman RNN and an LSTM
// of about the same number of parameters, trained with truncated backpropagation through time; a test-perplexity
// table, text sampled from each, and ‖∂l/∂h_t‖ against the distance back in time (vanishing gradients in time).
#include <chrono>
#include <cmath>
#include <ctime>
#include <tuple>
#include <fstream>
#include <iostream>
#include <type_traits>

#include "common/example.hpp"
#include "nn/data/dataset.hpp"
#include "nn/layers/recurrent.hpp"
#include "nn/nn.hpp"
#include "nn/optim/adam.hpp"

using namespace dg;
using Tf = Tensor<float>;

namespace {

const std::string alphabet = " abcdefghijklmnopqrstuvwxyz0123456789.,;:()'\"-";

// The text as character ids: lower-cased, runs of white space as one space, characters outside the alphabet dropped.
std::vector<std::size_t> read_chars(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw IoError("recurrent: cannot read " + path);
    std::vector<std::size_t> ids;
    bool space = true;
    for (char c; in.get(c);) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (!space) ids.push_back(0);
            space = true;
            continue;
        }
        const std::size_t k = alphabet.find(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        if (k != std::string::npos) ids.push_back(k), space = false;
    }
    return ids;
}

// tokens [T, N] (ids as floats) from n streams, steps [t0, t0 + T) of each.
Tf tokens_of(const std::vector<std::vector<std::size_t>>& streams, std::size_t t0, std::size_t T) {
    Tf x = Tf::zeros({T, streams.size()});
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t n = 0; n < streams.size(); ++n) x.mutable_value()(t, n) = float(streams[n][t0 + t]);
    return x;
}
// The targets of tokens_of(streams, t0, T): each stream's next character, step after step ([T·N] rows as the head's).
std::vector<std::size_t> targets_of(const std::vector<std::vector<std::size_t>>& streams, std::size_t t0, std::size_t T) {
    std::vector<std::size_t> y;
    for (std::size_t t = 0; t < T; ++t)
        for (const auto& s : streams) y.push_back(s[t0 + t + 1]);
    return y;
}

Tf detached(const Tf& h) { return h.detach(); }
LstmState<float> detached(const LstmState<float>& s) { return {s.h.detach(), s.c.detach()}; }

// embedding → one recurrent layer (nn::RNN or nn::LSTM) → linear head at every step.
template <class Layer>
struct CharRnn {
    using State = std::conditional_t<std::is_same_v<Layer, nn::LSTM<float>>, LstmState<float>, Tf>;
    nn::Embedding<float> emb;
    Layer rnn;
    nn::Linear<float> head;
    CharRnn(std::size_t V, std::size_t dim, std::size_t hidden, Generator& gen)
        : emb(V, dim, gen, nn::Init::normal(0.1)), rnn(dim, hidden, gen), head(hidden, V, gen) {}
    std::vector<Tf> parameters() {
        std::vector<Tf> p = emb.parameters();
        for (auto* m : std::initializer_list<nn::Module<float>*>{&rnn, &head})
            for (const auto& q : m->parameters()) p.push_back(q);
        return p;
    }
    // tokens [T, N] → (logits [T·N, V], the state after the last step)
    std::pair<Tf, State> run(const Tf& tokens, const State& state) {
        auto [out, next] = rnn(emb(tokens), state);
        const Shape s = out.shape();
        return {head(reshape(out, {s[0] * s[1], s[2]})), next};
    }
};

// The notes' NPLM on characters: the embeddings of the k previous characters, concatenated, tanh, softmax.
struct Nplm {
    std::size_t k, dim;
    nn::Embedding<float> emb;
    nn::Sequential<float> mlp;
    Nplm(std::size_t V, std::size_t k_, std::size_t dim_, std::size_t hidden, Generator& gen)
        : k(k_), dim(dim_), emb(V, dim_, gen, nn::Init::normal(0.1)),
          mlp{std::make_shared<nn::Linear<float>>(k_ * dim_, hidden, gen), std::make_shared<nn::Tanh<float>>(),
              std::make_shared<nn::Linear<float>>(hidden, V, gen)} {}
    std::vector<Tf> parameters() {
        std::vector<Tf> p = emb.parameters();
        for (const auto& q : mlp.parameters()) p.push_back(q);
        return p;
    }
    // windows: k ids per prediction, flattened → logits [predictions, V]
    Tf logits(const std::vector<std::size_t>& windows) {
        return mlp(reshape(emb.forward(windows), {windows.size() / k, k * dim}));
    }
};

std::size_t count(const std::vector<Tf>& params) {
    std::size_t n = 0;
    for (const auto& p : params) n += p.numel();
    return n;
}

// A character drawn from softmax(logits / temperature).
std::size_t sample(const Array<float>& logits, double temperature, Generator& gen) {
    std::vector<double> p(logits.size());
    double mx = -1e30, sum = 0;
    for (std::size_t i = 0; i < p.size(); ++i) mx = std::max(mx, double(logits.flat(i)) / temperature);
    for (std::size_t i = 0; i < p.size(); ++i) sum += (p[i] = std::exp(double(logits.flat(i)) / temperature - mx));
    double u = gen.uniform() * sum;
    for (std::size_t i = 0; i < p.size(); ++i)
        if ((u -= p[i]) <= 0) return i;
    return p.size() - 1;
}

double cpu_seconds() { return double(std::clock()) / CLOCKS_PER_SEC; }

}  // namespace

int main(int argc, char** argv) {
    examples::Example ex("recurrent", "Character-level NPLM, Elman RNN and LSTM on Debian's licence texts");
    std::vector<std::string> texts;
    for (const char* f : {"GPL-3", "GPL-2", "LGPL-2.1", "GFDL-1.3", "Apache-2.0", "MPL-2.0"})
        texts.push_back(std::string("/usr/share/common-licenses/") + f);
    std::size_t dim = 16, rnn_hidden = 200, lstm_hidden = 100, nplm_hidden = 256, window = 10, steps = 64, batch = 32;
    int epochs = 20;
    ex.app.add_option("--text", texts, "English text files")->capture_default_str()->check(CLI::ExistingFile);
    ex.app.add_option("--epochs", epochs, "passes over the training text")->capture_default_str()
        ->check(examples::whole_number(1));
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;
    if (ex.smoke) texts.resize(1), rnn_hidden = 48, lstm_hidden = 24, nplm_hidden = 64, steps = 32, batch = 16, epochs = 2;
    Generator gen(ex.seed);
    const std::size_t V = alphabet.size();

    // Chunks of 1000 characters: every 10th is test text, the one 5 after it validation (as language_model splits).
    std::vector<std::size_t> train;
    std::vector<std::vector<std::size_t>> valid, test;
    for (const auto& path : texts) {
        const auto ids = read_chars(path);
        for (std::size_t i = 0, k = 0; i + 1000 <= ids.size(); i += 1000, ++k) {
            std::vector<std::size_t> chunk(ids.begin() + i, ids.begin() + i + 1000);
            if (k % 10 == 9) test.push_back(chunk);
            else if (k % 10 == 4) valid.push_back(chunk);
            else train.insert(train.end(), chunk.begin(), chunk.end());
        }
    }
    // Training streams: the training text cut into `batch` parallel streams, read `steps` characters at a time.
    const std::size_t stream_len = (train.size() - 1) / batch;
    std::vector<std::vector<std::size_t>> streams(batch);
    for (std::size_t n = 0; n < batch; ++n)
        streams[n].assign(train.begin() + n * stream_len, train.begin() + (n + 1) * stream_len + 1);
    const std::size_t chunks_per_epoch = (stream_len - 1) / steps;
    std::printf("%zu texts; alphabet %zu characters; %zu training characters in %zu streams, %zu validation and %zu "
                "test chunks of 1000\n", texts.size(), V, train.size(), batch, valid.size(), test.size());

    // Perplexity per character over chunks (run from the start of each; every model predicts characters window..999).
    const auto chunk_targets = [&](const std::vector<std::vector<std::size_t>>& chunks) {
        std::vector<std::size_t> y;
        for (std::size_t t = window - 1; t + 1 < 1000; ++t)
            for (const auto& c : chunks) y.push_back(c[t + 1]);
        return y;
    };
    std::vector<double> unigram(V, 1.0);  // add-one counts of the training text
    for (std::size_t c : train) unigram[c] += 1;
    double ppl_unigram = 0;
    {
        double nll = 0;
        const auto y = chunk_targets(test);
        for (std::size_t c : y) nll -= std::log(unigram[c] / (double(train.size()) + double(V)));
        ppl_unigram = std::exp(nll / double(y.size()));
    }
    // The rows [T·N, V] of steps t ≥ window − 1 of logits over whole chunks, and their cross-entropy's perplexity.
    const auto chunk_perplexity = [&](const Tf& logits, const std::vector<std::vector<std::size_t>>& chunks) {
        const std::size_t n = chunks.size();
        const Tf rows = narrow(logits, 0, (window - 1) * n, (1000 - window) * n);
        return std::exp(double(nn::cross_entropy(rows, chunk_targets(chunks)).item()));
    };

    struct Result {
        std::string name;
        std::size_t params = 0;
        double ppl = 0, seconds = 0;
        std::vector<double> valid_ppl;
        std::string sample;
    };
    std::vector<Result> results;
    std::vector<double> epoch_axis;
    for (int e = 1; e <= epochs; ++e) epoch_axis.push_back(e);
    const std::string prompt = "this license ";
    const double temperature = 0.7;

    // ---- the NPLM: windows of the `window` previous characters, the same number of predictions per step ----
    {
        Nplm model(V, window, dim, nplm_hidden, gen);
        auto params = model.parameters();
        optim::Adam<float> adam(params, optim::AdamOptions(3e-3));
        const auto windows_of = [&](const std::vector<std::vector<std::size_t>>& chunks) {
            std::vector<std::size_t> w;
            for (std::size_t t = window - 1; t + 1 < 1000; ++t)
                for (const auto& c : chunks) w.insert(w.end(), c.begin() + (t + 1 - window), c.begin() + t + 1);
            return w;
        };
        const auto perplexity = [&](const std::vector<std::vector<std::size_t>>& chunks) {
            NoGradGuard no_grad;
            return std::exp(double(nn::cross_entropy(model.logits(windows_of(chunks)), chunk_targets(chunks)).item()));
        };
        Result r{"NPLM (window of " + std::to_string(window) + ")", count(params)};
        const double start = cpu_seconds();
        for (int e = 1; e <= epochs; ++e) {
            for (std::size_t s = 0; s < chunks_per_epoch; ++s) {
                std::vector<std::size_t> w, y;
                for (std::size_t i = 0; i < steps * batch; ++i) {
                    const std::size_t at = window + gen.below(train.size() - window);
                    w.insert(w.end(), train.begin() + (at - window), train.begin() + at);
                    y.push_back(train[at]);
                }
                adam.zero_grad();
                nn::cross_entropy(model.logits(w), y).backward();
                adam.step();
            }
            r.valid_ppl.push_back(perplexity(valid));
            std::printf("NPLM  epoch %d: validation perplexity %.2f\n", e, r.valid_ppl.back());
        }
        r.seconds = cpu_seconds() - start;
        r.ppl = perplexity(test);
        NoGradGuard no_grad;
        std::vector<std::size_t> text;
        for (char c : prompt) text.push_back(alphabet.find(c));
        while (text.size() < prompt.size() + 200) {
            const std::vector<std::size_t> w(text.end() - window, text.end());
            text.push_back(sample(model.logits(w).value(), temperature, gen));
        }
        for (std::size_t c : text) r.sample += alphabet[c];
        results.push_back(r);
    }

    // ---- the Elman RNN and the LSTM: truncated BPTT over the streams, the state carried across chunks ----
    // ‖∂l/∂h_t‖ for the loss at the last of 60 steps, against the distance back: unrolled with the cells on the
    // layer's own weights, h_t kept (retain_grad), mean over 16 test sequences.
    const std::size_t span = 60;
    const auto gradient_norms = [&](auto& model) {
        std::vector<std::vector<std::size_t>> seqs(test.begin(), test.begin() + std::min<std::size_t>(16, test.size()));
        const Tf x = model.emb(tokens_of(seqs, 0, span));
        const std::size_t n = seqs.size();
        const auto& l = model.rnn;
        std::vector<Tf> hs;
        Tf h = Tf::zeros({n, l.hidden_size()}), c = h;
        for (std::size_t t = 0; t < span; ++t) {
            const Tf x_t = reshape(narrow(x, 0, t, 1), {n, l.input_size()});
            if constexpr (std::is_same_v<std::decay_t<decltype(l)>, nn::LSTM<float>>) {
                const LstmState<float> s = lstm_cell(x_t, h, c, l.weight_ih(0), l.weight_hh(0), l.bias_ih(0), l.bias_hh(0));
                h = s.h, c = s.c;
            } else {
                h = rnn_cell(x_t, h, l.weight_ih(0), l.weight_hh(0), l.bias_ih(0), l.bias_hh(0));
            }
            h.retain_grad();
            hs.push_back(h);
        }
        std::vector<std::size_t> y;
        for (const auto& s : seqs) y.push_back(s[span]);
        nn::cross_entropy(model.head(h), y).backward();
        std::vector<double> norm(span);  // by distance d = span − 1 − t
        for (std::size_t t = 0; t < span; ++t)
            norm[span - 1 - t] = std::sqrt(double(xt::sum(hs[t].grad().value() * hs[t].grad().value())())) / double(n);
        for (auto& p : model.parameters()) p.zero_grad();
        return norm;
    };
    std::vector<examples::Series> norm_series;
    std::vector<double> distance;
    for (std::size_t d = 0; d < span; ++d) distance.push_back(double(d));
    const auto train_recurrent = [&](auto& model, const std::string& name, const std::string& color) {
        using Model = std::decay_t<decltype(model)>;
        auto params = model.parameters();
        optim::Adam<float> adam(params, optim::AdamOptions(3e-3));
        Result r{name, count(params)};
        const std::vector<double> norm_init = gradient_norms(model);
        const auto perplexity = [&](const std::vector<std::vector<std::size_t>>& chunks) {
            NoGradGuard no_grad;
            return chunk_perplexity(model.run(tokens_of(chunks, 0, 999), {}).first, chunks);
        };
        const double start = cpu_seconds();
        for (int e = 1; e <= epochs; ++e) {
            typename Model::State state{};  // zeros at the start of every epoch
            for (std::size_t s = 0; s < chunks_per_epoch; ++s) {
                auto [logits, next] = model.run(tokens_of(streams, s * steps, steps), state);
                adam.zero_grad();
                nn::cross_entropy(logits, targets_of(streams, s * steps, steps)).backward();
                adam.step();
                state = detached(next);  // truncated BPTT: the value goes on, the history does not
            }
            r.valid_ppl.push_back(perplexity(valid));
            std::printf("%-5s epoch %d: validation perplexity %.2f\n", name.substr(0, name.find(' ')).c_str(), e,
                        r.valid_ppl.back());
        }
        r.seconds = cpu_seconds() - start;
        r.ppl = perplexity(test);
        const std::vector<double> norm_trained = gradient_norms(model);
        norm_series.push_back({name + ", trained", distance, norm_trained, "lines lw 2 lc rgb '" + color + "'"});
        norm_series.push_back({name + ", initial weights", distance, norm_init, "lines dt 2 lw 2 lc rgb '" + color + "'"});
        NoGradGuard no_grad;
        std::vector<std::vector<std::size_t>> text(1);
        for (char c : prompt) text[0].push_back(alphabet.find(c));
        auto [logits, state] = model.run(tokens_of(text, 0, prompt.size()), {});
        for (std::size_t i = 0; i < 200; ++i) {
            const Array<float> last = xt::view(logits.value(), logits.shape()[0] - 1);
            text[0].push_back(sample(last, temperature, gen));
            std::tie(logits, state) = model.run(tokens_of(text, text[0].size() - 1, 1), state);
        }
        for (std::size_t c : text[0]) r.sample += alphabet[c];
        results.push_back(r);
        return std::make_pair(norm_init, norm_trained);
    };
    CharRnn<nn::RNN<float>> rnn(V, dim, rnn_hidden, gen);
    const auto [rnn_init, rnn_trained] = train_recurrent(rnn, "Elman RNN (tanh, " + std::to_string(rnn_hidden) + ")", "#0072b2");
    CharRnn<nn::LSTM<float>> lstm(V, dim, lstm_hidden, gen);
    const auto [lstm_init, lstm_trained] = train_recurrent(lstm, "LSTM (" + std::to_string(lstm_hidden) + ")", "#d55e00");
    // The usual remedy for the LSTM's start: a forget-gate bias of 1 (Jozefowicz et al. 2015), f = σ(≈1) ≈ 0.73, so the
    // cell state keeps more of its gradient from step to step from the first update on.
    CharRnn<nn::LSTM<float>> lstm_f1(V, dim, lstm_hidden, gen);
    {
        NoGradGuard no_grad;
        Tensor<float> b = lstm_f1.rnn.bias_ih(0), b2 = lstm_f1.rnn.bias_hh(0);  // rows H … 2H − 1: the forget gate
        xt::view(b.mutable_value(), xt::range(lstm_hidden, 2 * lstm_hidden)) = 1.0f;
        xt::view(b2.mutable_value(), xt::range(lstm_hidden, 2 * lstm_hidden)) = 0.0f;
    }
    const auto [f1_init, f1_trained] =
        train_recurrent(lstm_f1, "LSTM (" + std::to_string(lstm_hidden) + ", forget bias 1)", "#009e73");

    std::printf("\ntest perplexity per character (%zu test chunks; add-one unigram %.2f):\n", test.size(), ppl_unigram);
    std::printf("  %-24s %10s %12s %14s\n", "model", "parameters", "perplexity", "CPU seconds");
    for (const auto& r : results) std::printf("  %-24s %10zu %12.2f %14.1f\n", r.name.c_str(), r.params, r.ppl, r.seconds);
    std::printf("\nsampled at temperature %.1f after \"%s\":\n", temperature, prompt.c_str());
    std::ofstream samples(ex.path("samples.txt"));
    for (const auto& r : results) {
        std::printf("  %s:\n    %s\n", r.name.c_str(), r.sample.c_str());
        samples << r.name << ":\n" << r.sample << "\n\n";
    }
    std::printf("\n‖∂l/∂h_t‖ of the loss at the last step, distance 0 / 10 / 30, trained (initial):\n");
    for (const auto& [name, trained, init] : {std::tuple{"Elman RNN", &rnn_trained, &rnn_init},
                                              std::tuple{"LSTM", &lstm_trained, &lstm_init},
                                              std::tuple{"LSTM, forget bias 1", &f1_trained, &f1_init}})
        std::printf("  %-20s %.2e / %.2e / %.2e  (%.2e / %.2e / %.2e)\n", name, (*trained)[0], (*trained)[10],
                    (*trained)[30], (*init)[0], (*init)[10], (*init)[30]);

    for (const auto& r : results)
        ex.check(r.ppl < ppl_unigram, r.name + " beats the add-one unigram on held-out text",
                 std::to_string(r.ppl) + " vs " + std::to_string(ppl_unigram));
    // At PyTorch's initial weights both recurrences shrink the gradient geometrically (the LSTM's cell path by its
    // forget gate, σ(≈0) ≈ ½ per step); what training makes of it is measured above, not assumed.
    ex.check(rnn_init[30] < 1e-4 * rnn_init[0] && lstm_init[30] < 1e-4 * lstm_init[0],
             "at the initial weights the gradient 30 steps back is below 1e-4 of the last step's, for both models");
    ex.check(f1_init[30] / f1_init[0] > 100 * lstm_init[30] / lstm_init[0],
             "a forget-gate bias of 1 keeps over 100× more of the LSTM's initial gradient 30 steps back");

    std::vector<examples::Series> curves;
    for (const auto& r : results) curves.push_back({r.name, epoch_axis, r.valid_ppl, "linespoints pt 7 lw 2"});
    curves.push_back({"unigram add-one (test)", {1, double(epochs)}, {ppl_unigram, ppl_unigram}, "lines dt 3 lw 2"});
    ex.plot({"Character-level models: validation perplexity per epoch", "epoch", "perplexity per character", false,
             curves, {}, true},
            "perplexity.png");
    ex.plot({"Vanishing gradients in time: ‖∂l/∂h_t‖ of the loss at the last step", "distance back in time (steps)",
             "‖∂l/∂h_t‖ (mean over 16 sequences)", true, norm_series},
            "gradient_in_time.png", examples::chart_width, 680);  // taller: six series in the legend
    return ex.finish();
}
