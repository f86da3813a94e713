// Example 11 (notes 000): Bengio's neural language model (2003). P(w_t | w_t-3..w_t-1) = softmax(W_o tanh(W_h v + b_h)
// + b_o), v the concatenated word embeddings; trained on Debian's licence texts, compared on held-out text with
// add-one unigram and bigram models, and with the embeddings' nearest neighbours.
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>

#include "common/example.hpp"
#include "nn/data/dataset.hpp"
#include "nn/nn.hpp"
#include "nn/optim/adam.hpp"

using namespace dg;
constexpr std::size_t context = 3;  // n − 1 words of context, as the notes' "for all the" → ?

// Lower-case words, plus '.' and ',' as tokens of their own.
std::vector<std::string> tokenize(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw IoError("language_model: cannot read " + path);
    std::vector<std::string> out;
    std::string word;
    for (char c; in.get(c);) {
        if (std::isalpha(static_cast<unsigned char>(c))) { word += char(std::tolower(static_cast<unsigned char>(c))); continue; }
        if (!word.empty()) out.push_back(word), word.clear();
        if (c == '.' || c == ',') out.emplace_back(1, c);
    }
    if (!word.empty()) out.push_back(word);
    return out;
}

// Positions t ≥ context of a token stream: the contexts (ids of w_t-3..w_t-1, flattened) and the targets w_t.
struct Samples { std::vector<std::size_t> contexts, targets; };
void add_samples(Samples& s, const std::vector<std::size_t>& ids) {
    for (std::size_t t = context; t < ids.size(); ++t) {
        s.contexts.insert(s.contexts.end(), ids.begin() + (t - context), ids.begin() + t);
        s.targets.push_back(ids[t]);
    }
}

int main(int argc, char** argv) {
    examples::Example ex("language_model", "Bengio's neural language model on Debian's licence texts");
    std::vector<std::string> texts;
    for (const char* f : {"GPL-3", "GPL-2", "LGPL-2.1", "GFDL-1.3", "Apache-2.0", "MPL-2.0"})
        texts.push_back(std::string("/usr/share/common-licenses/") + f);
    std::size_t dim = 30, hidden = 100;
    int epochs = 8;  // validation perplexity bottoms out around epoch 7 on the default texts
    ex.app.add_option("--text", texts, "English text files")->capture_default_str()
        ->check(CLI::ExistingFile);
    ex.app.add_option("--dim", dim, "embedding size (the notes: 300)")->capture_default_str()
        ->check(examples::whole_number(1));
    ex.app.add_option("--hidden", hidden, "tanh units (the notes: 1000)")->capture_default_str()
        ->check(examples::whole_number(1));
    ex.app.add_option("--epochs", epochs, "passes over the training text")->capture_default_str()
        ->check(examples::whole_number(1));
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;
    if (ex.smoke) texts.resize(1), dim = 16, hidden = 48, epochs = 4;
    Generator gen(ex.seed);

    // Split every text into chunks of 100 tokens; every 10th chunk is test text, the one 5 after it validation.
    std::vector<std::vector<std::string>> chunks[3];  // train, validation, test
    for (const auto& path : texts) {
        const auto tokens = tokenize(path);
        for (std::size_t i = 0, k = 0; i < tokens.size(); i += 100, ++k)
            chunks[k % 10 == 9 ? 2 : k % 10 == 4 ? 1 : 0].emplace_back(tokens.begin() + i, tokens.begin() + std::min(tokens.size(), i + 100));
    }
    // Vocabulary: training words seen at least twice; the rest become <unk> (id 0) in every split.
    std::map<std::string, std::size_t> count, id{{"<unk>", 0}};
    std::vector<std::string> words{"<unk>"};
    for (const auto& c : chunks[0]) for (const auto& w : c) ++count[w];
    for (const auto& [w, n] : count) if (n >= 2) id[w] = words.size(), words.push_back(w);
    const std::size_t V = words.size();
    Samples split[3];
    for (int s = 0; s < 3; ++s)
        for (const auto& c : chunks[s]) {
            std::vector<std::size_t> ids;
            for (const auto& w : c) ids.push_back(id.count(w) ? id[w] : 0);
            add_samples(split[s], ids);
        }
    std::printf("%zu texts; vocabulary %zu words; %zu training, %zu validation, %zu test predictions\n", texts.size(), V,
                split[0].targets.size(), split[1].targets.size(), split[2].targets.size());

    // Baselines with add-one smoothing, from training counts: P(w) = (c(w)+1)/(N+V), P(w|v) = (c(v,w)+1)/(c(v)+V).
    std::vector<double> uni(V, 0);
    std::map<std::pair<std::size_t, std::size_t>, double> bi;
    const auto& tr = split[0];
    for (std::size_t i = 0; i < tr.targets.size(); ++i) uni[tr.targets[i]] += 1, bi[{tr.contexts[i * context + context - 1], tr.targets[i]}] += 1;
    std::vector<double> prev(V, 0);  // c(v) as a bigram's first word
    for (const auto& [vw, n] : bi) prev[vw.first] += n;
    const double N = double(tr.targets.size());
    auto perplexity = [&](const Samples& s, auto&& logp) {
        double nll = 0;
        for (std::size_t i = 0; i < s.targets.size(); ++i) nll -= logp(s.contexts[i * context + context - 1], s.targets[i]);
        return std::exp(nll / double(s.targets.size()));
    };
    const auto& test = split[2];
    const double ppl_uni = perplexity(test, [&](std::size_t, std::size_t w) { return std::log((uni[w] + 1) / (N + V)); });
    const double ppl_bi = perplexity(test, [&](std::size_t v, std::size_t w) {
        const auto it = bi.find({v, w});
        return std::log(((it == bi.end() ? 0 : it->second) + 1) / (prev[v] + V));
    });
    // A stronger baseline: the bigram interpolated with the unigram, λ·c(v,w)/c(v) + (1−λ)·P(w), λ tuned on validation.
    auto interpolated = [&](double lambda) {
        return [&, lambda](std::size_t v, std::size_t w) {
            const auto it = bi.find({v, w});
            const double ml = prev[v] > 0 && it != bi.end() ? it->second / prev[v] : 0;
            return std::log(lambda * ml + (1 - lambda) * (uni[w] + 1) / (N + V));
        };
    };
    double lambda = 0.1;
    for (double l = 0.2; l < 0.95; l += 0.1)
        if (perplexity(split[1], interpolated(l)) < perplexity(split[1], interpolated(lambda))) lambda = l;
    const double ppl_interp = perplexity(test, interpolated(lambda));

    // The model: Embedding V×dim → concat of 3 → Linear → tanh → Linear → softmax (fused into cross_entropy).
    nn::Embedding<float> embed(V, dim, gen, nn::Init::normal(0.1));
    nn::Sequential<float> mlp{std::make_shared<nn::Linear<float>>(context * dim, hidden, gen), std::make_shared<nn::Tanh<float>>(),
                              std::make_shared<nn::Linear<float>>(hidden, V, gen)};
    auto logits = [&](const std::vector<std::size_t>& ctx) {
        return mlp(reshape(embed.forward(ctx), {ctx.size() / context, context * dim}));
    };
    auto params = embed.parameters();
    for (const auto& p : mlp.parameters()) params.push_back(p);
    optim::Adam<float> adam(params, optim::AdamOptions(2e-3));
    auto model_ppl = [&](const Samples& s) {  // exp of the mean cross-entropy, in batches
        NoGradGuard ng;
        double nll = 0;
        for (std::size_t b = 0; b < s.targets.size(); b += 1024) {
            const std::size_t e = std::min(s.targets.size(), b + 1024);
            const std::vector<std::size_t> ctx(s.contexts.begin() + b * context, s.contexts.begin() + e * context);
            nll += nn::cross_entropy(logits(ctx), std::vector<std::size_t>(s.targets.begin() + b, s.targets.begin() + e), nn::Reduction::sum).item();
        }
        return std::exp(nll / double(s.targets.size()));
    };
    // Mini-batch training (batch 32, shuffled each epoch); keep the parameters of the best validation epoch.
    double best = 1e30;
    int best_epoch = 0;
    std::vector<Array<float>> best_params;
    std::vector<double> ep, train_ppl, valid_ppl;
    for (int e = 1; e <= epochs; ++e) {
        const auto order = data::random_permutation(tr.targets.size(), gen);
        for (std::size_t b = 0; b < order.size(); b += 32) {
            std::vector<std::size_t> ctx, tgt;
            for (std::size_t i = b; i < std::min(order.size(), b + 32); ++i) {
                ctx.insert(ctx.end(), tr.contexts.begin() + order[i] * context, tr.contexts.begin() + (order[i] + 1) * context);
                tgt.push_back(tr.targets[order[i]]);
            }
            adam.zero_grad();
            nn::cross_entropy(logits(ctx), tgt).backward();
            adam.step();
        }
        ep.push_back(e), train_ppl.push_back(model_ppl(tr)), valid_ppl.push_back(model_ppl(split[1]));
        std::printf("epoch %2d: perplexity train %.1f, validation %.1f\n", e, train_ppl.back(), valid_ppl.back());
        if (valid_ppl.back() < best) {
            best = valid_ppl.back(), best_epoch = e, best_params.clear();
            for (const auto& p : params) best_params.push_back(p.value());
        }
    }
    {
        NoGradGuard ng;  // restore the best epoch's parameters (early stopping)
        for (std::size_t i = 0; i < params.size(); ++i) params[i].mutable_value() = best_params[i];
    }
    std::printf("kept the parameters of epoch %d of %d (the best validation perplexity, %.1f)\n", best_epoch, epochs, best);
    const double ppl_nn = model_ppl(test);
    std::printf("\ntest perplexity: unigram (add-one) %.1f, bigram (add-one) %.1f, bigram interpolated (λ = %.1f) %.1f,\n"
                "                 neural, %zu-word context: %.1f\n", ppl_uni, ppl_bi, lambda, ppl_interp, context, ppl_nn);
    ex.check(ppl_nn < ppl_bi, "the neural model beats the add-one bigram on held-out text");

    // Nearest neighbours by cosine similarity of the learned embeddings.
    const Array<float>& E = embed.weight().value();
    const Array<float> norms = xt::sqrt(xt::sum(E * E, {1}, immediate)) + 1e-8f;
    std::cout << "\nnearest neighbours (cosine) of some word embeddings:\n";
    for (const char* q : {"you", "software", "license", "copy", "modify", "must", "this", "two"}) {
        if (!id.count(q)) continue;
        const Array<float> cos = xt::linalg::dot(E, xt::row(E, id[q])) / (norms * norms(id[q]));
        std::vector<std::size_t> rank(V);
        for (std::size_t i = 0; i < V; ++i) rank[i] = i;
        std::partial_sort(rank.begin(), rank.begin() + 6, rank.end(), [&](auto a, auto b) { return cos(a) > cos(b); });
        std::printf("  %-9s", q);
        for (std::size_t k = 1; k < 6; ++k) std::printf(" %s (%.2f)", words[rank[k]].c_str(), cos(rank[k]));
        std::printf("\n");
    }
    ex.plot({"Neural language model: perplexity per epoch", "epoch", "perplexity", true,
             {{"train", ep, train_ppl, "linespoints pt 7 lw 2"}, {"validation", ep, valid_ppl, "linespoints pt 7 lw 2"},
              {"bigram add-one (test)", {1, double(epochs)}, {ppl_bi, ppl_bi}, "lines dt 2 lw 2"},
              {"bigram interpolated (test)", {1, double(epochs)}, {ppl_interp, ppl_interp}, "lines dt 4 lw 2"},
              {"unigram add-one (test)", {1, double(epochs)}, {ppl_uni, ppl_uni}, "lines dt 3 lw 2"}}, {}, true},
            "perplexity.png");
    return ex.finish();
}
