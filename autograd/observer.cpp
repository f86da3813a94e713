// Installing and removing observers (a list per thread and element type, newest first; its head is in the header)
// and the offer of a leaf's gradient as a product.
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

template <class T>
bool offer_leaf_grad_product(const Tensor<T>& w, const Array<T>& a, bool ta, const Array<T>& b, bool tb) {
    Node<T>* node = w.node();
    if (!observers<T>() || !node->is_leaf() || !node->pass_stores_grad || node->consumers != 1 || !node->hooks.empty())
        return false;
    for (Observer<T>* o = observers<T>(); o; o = o->next_)
        if (o->sees_every_gradient()) return false;
    for (Observer<T>* o = observers<T>(); o; o = o->next_)
        if (o->take_leaf_grad_product(*node, a, ta, b, tb)) return true;
    return false;
}

#define DG_INSTANTIATE(T)                                                                                  \
    template class ObserverGuard<T>;                                                                       \
    template bool offer_leaf_grad_product(const Tensor<T>&, const Array<T>&, bool, const Array<T>&, bool);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
