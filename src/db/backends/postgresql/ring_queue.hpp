// RingQueue: a FIFO in one growable circular buffer (the driver's queries in flight).
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace duet::db::postgresql::detail {

/// A FIFO that keeps its capacity. std::deque frees a block each time pop_front() empties one and allocates
/// one again when emplace_back() fills one: with the driver's Pending, half an allocation per query. Here
/// the buffer grows (doubling, elements moved in order) and is never given back while the queue lives.
/// References stay valid until the next emplace_back(), which may grow it: hold none across one.
/// Not boost::circular_buffer: Boost 1.81's has no emplace_back() (a Pending would be built, then moved
/// in) and a fixed capacity that the caller would have to grow by hand.
template <class T>
class RingQueue {
  static_assert(std::is_nothrow_move_constructible_v<T>, "grow() moves the elements");

 public:
  template <class Q, class V>
  class Iterator {
   public:
    Iterator(Q* queue, std::size_t i) noexcept : queue_(queue), i_(i) {}
    V& operator*() const noexcept { return (*queue_)[i_]; }
    V* operator->() const noexcept { return &(*queue_)[i_]; }
    Iterator& operator++() noexcept {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator& other) const noexcept { return i_ == other.i_; }

   private:
    Q* queue_;
    std::size_t i_;
  };
  using iterator = Iterator<RingQueue, T>;
  using const_iterator = Iterator<const RingQueue, const T>;

  RingQueue() noexcept = default;
  RingQueue(RingQueue&& other) noexcept
      : slots_(std::move(other.slots_)),
        capacity_(std::exchange(other.capacity_, 0)),
        head_(std::exchange(other.head_, 0)),
        size_(std::exchange(other.size_, 0)) {}
  RingQueue& operator=(RingQueue&& other) noexcept {
    if (this != &other) {
      clear();
      slots_ = std::move(other.slots_);
      capacity_ = std::exchange(other.capacity_, 0);
      head_ = std::exchange(other.head_, 0);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~RingQueue() { clear(); }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  T& operator[](std::size_t i) noexcept { return *at(i); }
  const T& operator[](std::size_t i) const noexcept { return *at(i); }
  T& front() noexcept { return *at(0); }
  T& back() noexcept { return *at(size_ - 1); }
  iterator begin() noexcept { return {this, 0}; }
  iterator end() noexcept { return {this, size_}; }
  const_iterator begin() const noexcept { return {this, 0}; }
  const_iterator end() const noexcept { return {this, size_}; }

  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == capacity_) grow();
    T* p =
        ::new (static_cast<void*>(&slots_[(head_ + size_) & (capacity_ - 1)])) T(std::forward<Args>(args)...);
    ++size_;
    return *p;
  }
  void pop_front() noexcept {
    at(0)->~T();
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }
  void clear() noexcept {
    while (size_ != 0)
      pop_front();
  }

 private:
  struct alignas(T) Slot {
    unsigned char bytes[sizeof(T)];
  };

  T* at(std::size_t i) const noexcept {
    return std::launder(reinterpret_cast<T*>(&slots_[(head_ + i) & (capacity_ - 1)]));
  }
  void grow() {
    const std::size_t capacity = capacity_ ? 2 * capacity_ : 8;  // a power of two: indices are masked
    auto slots = std::make_unique_for_overwrite<Slot[]>(capacity);
    for (std::size_t i = 0; i < size_; ++i) {
      T* old = at(i);
      ::new (static_cast<void*>(&slots[i])) T(std::move(*old));
      old->~T();
    }
    slots_ = std::move(slots);
    capacity_ = capacity;
    head_ = 0;
  }

  std::unique_ptr<Slot[]> slots_;
  std::size_t capacity_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace duet::db::postgresql::detail
