// Anomaly mode: the checks, as an Observer of the engine for float and for double.
#include "autograd/inspect/anomaly.hpp"

#include <cmath>

#include "autograd/inspect/name_scope.hpp"

namespace dg {

namespace {
thread_local int guards = 0;

template <class T>
bool all_finite(const Array<T>& a) {
    const T* p = a.data();
    for (std::size_t i = 0, n = a.size(); i < n; ++i)
        if (!std::isfinite(p[i])) return false;
    return true;
}

template <class T>
std::string shapes_of(const TensorList<T>& xs) {
    std::string s;
    for (std::size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + shape_str(xs[i].shape());
    return s;
}

std::string where(const std::string& label) { return label.empty() ? "" : " (created in " + label + ")"; }

template <class T>
class AnomalyChecks : public Observer<T> {
public:
    void recorded(Node<T>& node, const TensorList<T>& inputs) override {
        if (all_finite(node.value)) return;
        if (running_)  // an op run by a backward function
            throw AnomalyError(std::string("anomaly: the backward of ") + running_->op.name + where(running_->label) +
                               " produced NaN or Inf (in its " + node.op.name + " step, input shapes " +
                               shapes_of(inputs) + ")");
        throw AnomalyError(std::string("anomaly: ") + node.op.name + " produced NaN or Inf in its forward value (input shapes " +
                           shapes_of(inputs) + ")" + where(current_scope()));
    }
    void running(const Node<T>* node) override { running_ = node; }
    void computed(const Tensor<T>& output, const Tensor<T>&, const TensorList<T>& grads) override {
        const Node<T>& node = *output.node();
        for (std::size_t i = 0; i < grads.size(); ++i)
            if (grads[i].defined() && !all_finite(grads[i].value()))
                throw AnomalyError(std::string("anomaly: the backward of ") + node.op.name + where(node.label) +
                                   " produced NaN or Inf in the gradient of input " + std::to_string(i) +
                                   " (input shapes " + shapes_of(node.inputs) + ")");
    }
    bool sees_every_gradient() const override { return true; }

private:
    const Node<T>* running_ = nullptr;
};
}  // namespace

struct AnomalyGuard::Checks {
    AnomalyChecks<float> f;
    AnomalyChecks<double> d;
    ObserverGuard<float> guard_f{f};
    ObserverGuard<double> guard_d{d};
};

bool anomaly_enabled() { return guards > 0; }
AnomalyGuard::AnomalyGuard() : checks_(new Checks) { ++guards; }
AnomalyGuard::~AnomalyGuard() {
    delete checks_;
    --guards;
}

}  // namespace dg
