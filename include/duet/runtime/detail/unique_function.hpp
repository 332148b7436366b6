// A move-only `void()` callable: the unit of work queued on sync threads.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace duet::detail {

/// std::function needs copyable targets and std::move_only_function is C++23; jobs own move-only state
/// (completion handlers), so this is the small piece needed in between.
class UniqueFunction {
 public:
  UniqueFunction() = default;

  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, UniqueFunction>>>
  UniqueFunction(F&& f) : impl_(std::make_unique<Impl<std::decay_t<F>>>(std::forward<F>(f))) {}

  UniqueFunction(UniqueFunction&&) noexcept = default;
  UniqueFunction& operator=(UniqueFunction&&) noexcept = default;

  explicit operator bool() const noexcept { return impl_ != nullptr; }
  void operator()() { impl_->call(); }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void call() = 0;
  };
  template <class F>
  struct Impl final : Base {
    explicit Impl(F&& f) : f(std::move(f)) {}
    explicit Impl(const F& f) : f(f) {}
    void call() override { f(); }
    F f;
  };
  std::unique_ptr<Base> impl_;
};

}  // namespace duet::detail
