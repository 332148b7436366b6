// Adapts Task<T> to Task<std::optional<V>> so that composition helpers never need T to be
// default-constructible (Asio's co_spawn builds a T() when the task throws) and treat void uniformly.
#pragma once

#include <optional>
#include <type_traits>
#include <variant>

#include "duet/runtime/task.hpp"

namespace duet::detail {

template <class T>
using ValueOrMonostate = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
Task<std::optional<ValueOrMonostate<T>>> as_optional(Task<T> task) {
  if constexpr (std::is_void_v<T>) {
    co_await std::move(task);
    co_return std::monostate{};
  } else {
    co_return co_await std::move(task);
  }
}

}  // namespace duet::detail
