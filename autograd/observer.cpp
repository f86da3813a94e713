// The installed observers (a list per thread and element type, newest first) and the offer of a leaf's gradient
// as a product.
#include "autograd/observer.hpp"

namespace dg {

namespace {
template <class T>
Observer<T>*& observer_list() {
    thread_local Observer<T>* head = nullptr;  // trivially initialised: no guard on the hot path
    return head;
}
}  // namespace

template <class T>
Observer<T>* observers() {
    return observer_list<T>();
}

template <class T>
ObserverGuard<T>::ObserverGuard(Observer<T>& observer) : observer_(observer) {
    observer.next_ = observer_list<T>();
    observer_list<T>() = &observer;
}
template <class T>
ObserverGuard<T>::~ObserverGuard() {
    Observer<T>** link = &observer_list<T>();  // usually the head: guards nest
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
    template Observer<T>* observers();                                                                     \
    template bool offer_leaf_grad_product(const Tensor<T>&, const Array<T>&, bool, const Array<T>&, bool);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
