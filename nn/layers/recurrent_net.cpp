// RecurrentNet: the recurrent spec's parser (grammar in recurrent_net.hpp) and the network it describes.
#include "nn/layers/recurrent_net.hpp"

#include <algorithm>

#include "autograd/array/errors.hpp"
#include "nn/layers/spec_text.hpp"

namespace dg::nn {

namespace {

/// A cell name ('_' for '-' allowed), or false.
bool parse_cell(std::string_view text, RecurrentKind& cell) {
    std::string name(detail::trim(text));
    std::replace(name.begin(), name.end(), '_', '-');
    if (name == "rnn" || name == "rnn-tanh") cell = RecurrentKind::rnn_tanh;
    else if (name == "rnn-relu") cell = RecurrentKind::rnn_relu;
    else if (name == "lstm") cell = RecurrentKind::lstm;
    else if (name == "gru") cell = RecurrentKind::gru;
    else return false;
    return true;
}

}  // namespace

const char* cell_name(RecurrentKind cell) {
    switch (cell) {
        case RecurrentKind::rnn_tanh: return "rnn-tanh";
        case RecurrentKind::rnn_relu: return "rnn-relu";
        case RecurrentKind::lstm: return "lstm";
        case RecurrentKind::gru: break;
    }
    return "gru";
}

std::string RecurrentSpec::str() const {
    std::string s = vocabulary ? "emb" + std::to_string(vocabulary) + "x" + std::to_string(input) : std::to_string(input);
    for (std::size_t h : hidden) s += "-" + std::to_string(h);
    return s + "-" + std::to_string(outputs) + ":" + cell_name(cell) + ":T" + std::to_string(steps) + ":" +
           (loss_at == LossAt::every_step ? "every" : "last");
}

bool is_recurrent_spec(std::string_view spec) {
    const std::vector<std::string_view> fields = detail::split(spec, ':');
    RecurrentKind cell;
    return fields.size() >= 2 && parse_cell(fields[1], cell);
}

RecurrentSpec parse_recurrent_spec(std::string_view text) {
    const std::string quoted = "recurrent spec '" + std::string(text) + "': ";
    const auto fail = [&](const std::string& what) { throw ValueError(quoted + what); };
    const auto number = [&](std::string_view text, const char* what) {
        const std::string s(detail::trim(text));
        if (!detail::all_digits(s) || s.size() > 9 || std::stoul(s) == 0)
            fail(std::string(what) + " '" + s + "' is not a positive integer");
        return static_cast<std::size_t>(std::stoul(s));
    };
    std::vector<std::string> fields;
    for (std::string_view f : detail::split(text, ':')) fields.emplace_back(detail::trim(f));
    if (fields.size() < 2)
        fail("expected sizes and a cell, e.g. '3-8-4:lstm' (input-hidden…-outputs:cell[:T<steps>][:every|last])");
    RecurrentSpec spec;
    if (!parse_cell(fields[1], spec.cell))
        fail("unknown cell '" + fields[1] + "' (expected rnn, rnn-tanh, rnn-relu, lstm or gru)");

    std::vector<std::string> sizes;
    for (std::string_view f : detail::split(fields[0], '-')) sizes.emplace_back(detail::trim(f));
    if (sizes.size() < 3)
        fail("expected an input, at least one recurrent layer and the head's width, e.g. '3-8-4', got '" + fields[0] +
             "'");
    const std::string& in = sizes[0];
    if (in.rfind("emb", 0) == 0) {
        const std::size_t x = in.find('x');
        if (x == std::string::npos) fail("an embedding input is 'emb<V>x<D>', e.g. emb27x8, got '" + in + "'");
        spec.vocabulary = number(in.substr(3, x - 3), "the embedding's vocabulary");
        spec.input = number(in.substr(x + 1), "the embedding's dimension");
    } else {
        spec.input = number(in, "the input width");
    }
    for (std::size_t i = 1; i + 1 < sizes.size(); ++i) spec.hidden.push_back(number(sizes[i], "a hidden width"));
    spec.outputs = number(sizes.back(), "the head's width");

    bool steps_given = false, at_given = false;
    for (std::size_t i = 2; i < fields.size(); ++i) {
        const std::string& o = fields[i];
        if (o == "every" || o == "last") {
            if (at_given) fail("where the loss is taken is given twice");
            at_given = true;
            spec.loss_at = o == "every" ? LossAt::every_step : LossAt::last_step;
        } else if (!o.empty() && o[0] == 'T') {
            if (steps_given) fail("the sequence length is given twice");
            steps_given = true;
            spec.steps = number(o.substr(1), "the sequence length");
        } else {
            fail("unknown option '" + o + "' (expected T<steps>, every or last)");
        }
    }
    return spec;
}

template <class T>
RecurrentNet<T>::RecurrentNet(const RecurrentSpec& spec, Generator& gen) : spec_(spec) {
    if (spec.hidden.empty() || spec.input == 0 || spec.outputs == 0)
        throw ValueError("RecurrentNet: spec " + spec.str() + " needs an input, a recurrent layer and outputs");
    if (spec.vocabulary) emb_ = this->register_module("emb", std::make_shared<Embedding<T>>(spec.vocabulary, spec.input, gen));
    std::size_t in = spec.input;
    for (std::size_t k = 0; k < spec.hidden.size(); ++k) {
        const std::size_t H = spec.hidden[k];
        std::shared_ptr<RecurrentBase<T>> layer;
        switch (spec.cell) {
            case RecurrentKind::rnn_tanh: layer = std::make_shared<RNN<T>>(in, H, gen); break;
            case RecurrentKind::rnn_relu:
                layer = std::make_shared<RNN<T>>(in, H, gen, RecurrentOptions{}, RnnNonlinearity::relu);
                break;
            case RecurrentKind::lstm: layer = std::make_shared<LSTM<T>>(in, H, gen); break;
            case RecurrentKind::gru: layer = std::make_shared<GRU<T>>(in, H, gen); break;
        }
        layers_.push_back(this->register_module("rnn" + std::to_string(k + 1), layer));
        in = H;
    }
    head_ = this->register_module("head", std::make_shared<Linear<T>>(in, spec.outputs, gen));
}

template <class T>
RecurrentNet<T>::RecurrentNet(std::string_view spec, Generator& gen) : RecurrentNet(parse_recurrent_spec(spec), gen) {}

template <class T>
RecurrentNet<T>::RecurrentNet(const RecurrentNet& other)
    : Cloneable<RecurrentNet<T>, T>(other),
      spec_(other.spec_),
      emb_(other.emb_ ? this->template child<Embedding<T>>("emb") : nullptr),
      head_(this->template child<Linear<T>>("head")) {
    for (std::size_t k = 0; k < other.layers_.size(); ++k)
        layers_.push_back(this->template child<RecurrentBase<T>>("rnn" + std::to_string(k + 1)));
}

template <class T>
std::string RecurrentNet<T>::output_shape_hint() const {
    return std::string(spec_.loss_at == LossAt::every_step ? "[T·N, " : "[N, ") + std::to_string(spec_.outputs) + "]";
}

template <class T>
Tensor<T> RecurrentNet<T>::forward(const Tensor<T>& x) {
    if (emb_ && x.dim() != 2)
        throw ShapeError(this->where() + ": input has shape " + shape_str(x.shape()) +
                         ", expected token indices [T, N] (the spec's input is an embedding)");
    if (!emb_ && x.dim() != 3)  // the layers would take [T, C] as one unbatched sequence; the head reads [T, N, H]
        throw ShapeError(this->where() + ": input has shape " + shape_str(x.shape()) +
                         ", expected [T, N, C] with C = " + std::to_string(spec_.input));
    Tensor<T> h = emb_ ? (*emb_)(x) : x;  // [T, N, C]
    for (const auto& layer : layers_) h = static_cast<Module<T>&>(*layer)(h);  // the output sequence, [T, N, H]
    const Shape s = h.shape();
    const Tensor<T> read = spec_.loss_at == LossAt::every_step ? reshape(h, {s[0] * s[1], s[2]})
                                                               : reshape(narrow(h, 0, s[0] - 1, 1), {s[1], s[2]});
    return (*head_)(read);
}

template class RecurrentNet<float>;
template class RecurrentNet<double>;

}  // namespace dg::nn
