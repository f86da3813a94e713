// SmallVector<T, N>: a vector that keeps up to N elements inline and allocates only beyond. An op's inputs and the
// gradients its backward returns are almost always one to three tensors; a heap block for each was a tenth of
// the cost of recording a tiny op. (xt::svector cannot hold tensors: it never destroys its elements.)
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace dg {

/// A std::vector-like sequence with inline room for N elements. Converts to and from std::vector<T>.
template <class T, std::size_t N>
class SmallVector {
public:
    SmallVector() = default;
    /// n default-constructed elements.
    explicit SmallVector(std::size_t n) { resize(n); }
    /// The given elements, in order, each copied or moved in once: `{a, b}`. (Not an initializer_list, whose
    /// elements are const: each would be copied twice, and a tensor's copy is an atomic count.)
    template <class... U, class = std::enable_if_t<(sizeof...(U) > 0) && (std::is_same_v<std::decay_t<U>, T> && ...)>>
    SmallVector(U&&... values) {  // NOLINT: implicit, so that braces build one
        if (sizeof...(U) > N) grow(sizeof...(U));
        ((new (data_ + size_) T(std::forward<U>(values)), ++size_), ...);  // counted once built
    }
    /// A copy of a std::vector's elements (implicit, so a std::vector passes where a SmallVector is taken).
    SmallVector(const std::vector<T>& values) { append(values.begin(), values.end()); }  // NOLINT: implicit
    /// @name Copy and move
    ///@{

    /// As std::vector's; a moved-from SmallVector is empty.
    SmallVector(const SmallVector& other) { append(other.begin(), other.end()); }
    SmallVector(SmallVector&& other) noexcept { take(other); }
    SmallVector& operator=(const SmallVector& other) {
        if (this != &other) {
            clear();
            append(other.begin(), other.end());
        }
        return *this;
    }
    SmallVector& operator=(SmallVector&& other) noexcept {
        if (this != &other) {
            release();
            take(other);
        }
        return *this;
    }
    ///@}
    ~SmallVector() { release(); }

    /// A copy as a std::vector (for code written against std::vector).
    operator std::vector<T>() const { return std::vector<T>(begin(), end()); }  // NOLINT: implicit

    /// @name Size and element access
    ///@{

    /// As std::vector's members of the same names (no bounds checks).
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T* data() { return data_; }
    const T* data() const { return data_; }
    T* begin() { return data_; }
    T* end() { return data_ + size_; }
    const T* begin() const { return data_; }
    const T* end() const { return data_ + size_; }
    T& operator[](std::size_t i) { return data_[i]; }
    const T& operator[](std::size_t i) const { return data_[i]; }
    T& back() { return data_[size_ - 1]; }
    const T& back() const { return data_[size_ - 1]; }
    ///@}

    /// Appends `value`, moving to a heap block (twice the size) when the inline room or the block is full.
    void push_back(T value) {
        if (size_ == capacity_) grow(2 * capacity_);
        new (data_ + size_) T(std::move(value));
        ++size_;
    }
    /// Destroys every element (keeps the storage).
    void clear() {
        std::destroy(begin(), end());
        size_ = 0;
    }
    /// Shrinks (destroying) or grows (default-constructing) to n elements.
    void resize(std::size_t n) {
        if (n < size_) std::destroy(data_ + n, end());
        if (n > capacity_) grow(n);
        for (std::size_t i = size_; i < n; ++i) new (data_ + i) T();
        size_ = n;
    }

private:
    T* inline_data() { return std::launder(reinterpret_cast<T*>(inline_)); }
    bool is_inline() const { return data_ == reinterpret_cast<const T*>(inline_); }

    template <class It>
    void append(It first, It last) {
        const auto n = static_cast<std::size_t>(std::distance(first, last));
        if (size_ + n > capacity_) grow(size_ + n);
        for (; first != last; ++first) new (data_ + size_++) T(*first);
    }
    void grow(std::size_t capacity) {
        T* bigger = static_cast<T*>(::operator new(capacity * sizeof(T)));
        std::uninitialized_move(begin(), end(), bigger);
        std::destroy(begin(), end());
        if (!is_inline()) ::operator delete(data_);
        data_ = bigger;
        capacity_ = capacity;
    }
    /// Moves other's elements here (this is empty and inline); leaves other empty.
    void take(SmallVector& other) {
        if (other.is_inline()) {
            std::uninitialized_move(other.begin(), other.end(), data_);
            size_ = other.size_;
            other.clear();
        } else {
            data_ = std::exchange(other.data_, other.inline_data());
            size_ = std::exchange(other.size_, 0);
            capacity_ = std::exchange(other.capacity_, N);
        }
    }
    void release() {
        clear();
        if (!is_inline()) ::operator delete(data_);
        data_ = inline_data();
        capacity_ = N;
    }

    alignas(T) unsigned char inline_[N * sizeof(T)];
    T* data_ = inline_data();
    std::size_t size_ = 0;
    std::size_t capacity_ = N;
};

}  // namespace dg
