// Installing and removing observers (a list per thread and element type, newest first; its head is in the header)
// and the offers of a leaf's gradient as a product or a row sum.
#include "autograd/observer.hpp"

namespace dg {

template <class T>
ObserverGuard<T>::ObserverGuard(Observer<T>& observer) : observer_(observer) {
    observer.next_ = detail::observer_head<T>;
    detail::observer_head<T> = &observer;
}
template <class T>
ObserverGuard<T>::~ObserverGuard() {
    Observer<T>** link = &detail::observer_head<T>;  // usually the head: guards nest
    while (*link && *link != &observer_) link = &(*link)->next_;
    if (*link) *link = observer_.next_;
}

namespace {
/// Whether the gradient of `leaf` may be offered before it is computed: one contribution is all of it (one
/// consumer in a pass that stores gradients, no hook), and no installed observer must see every gradient.
template <class T>
bool may_offer(const Node<T>& leaf) {
    if (!observers<T>() || !leaf.is_leaf() || !leaf.pass_stores_grad || leaf.consumers != 1 || !leaf.hooks.empty())
        return false;
    for (Observer<T>* o = observers<T>(); o; o = o->next_)
        if (o->sees_every_gradient()) return false;
    return true;
}
}  // namespace

template <class T>
bool offer_leaf_grad_product(const Tensor<T>& w, const Array<T>& a, bool ta, const Array<T>& b, bool tb) {
    if (!may_offer(*w.node())) return false;
    for (Observer<T>* o = observers<T>(); o; o = o->next_)
        if (o->take_leaf_grad_product(*w.node(), a, ta, b, tb)) return true;
    return false;
}

template <class T>
bool offer_leaf_grad_row_sum(const Tensor<T>& b, const Array<T>& rows) {
    if (!may_offer(*b.node())) return false;
    for (Observer<T>* o = observers<T>(); o; o = o->next_)
        if (o->take_leaf_grad_row_sum(*b.node(), rows)) return true;
    return false;
}

#define DG_INSTANTIATE(T)                                                                                  \
    template class ObserverGuard<T>;                                                                       \
    template bool offer_leaf_grad_product(const Tensor<T>&, const Array<T>&, bool, const Array<T>&, bool); \
    template bool offer_leaf_grad_row_sum(const Tensor<T>&, const Array<T>&);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
