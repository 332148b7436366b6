// limit_concurrency: at most N requests at a time inside the views it decorates, per event loop; the others
// wait their turn. Back-pressure for views that fan out (many queries, many upstream calls per request).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

#include "duet/urls/view.hpp"

namespace duet::views {

namespace detail {
struct ConcurrencyGate;
}

/// `auto heavy = views::limit_concurrency(16);` then `path("report/", heavy(report))`: at most 16 requests
/// run inside `report` at once on each event loop (a connection's requests stay on the loop that accepted
/// it, so this bounds the work in flight per core). A request beyond that waits, first come first served,
/// before the view starts; after `max_wait` it gets 503 Service Unavailable with `Retry-After: 1`. A request
/// whose client goes away while it waits leaves the queue.
///
/// Why: a view that starts many queries at once (gather) makes every waiting request hold that many
/// queries' state. With hundreds of such requests in flight, that state no longer fits the CPU's caches and
/// every query costs more; admitted a few at a time, the same work runs hot and the database still has
/// plenty queued (docs/views.md has the figures).
///
/// Views decorated by the same object share its budget. A sync view (run on a thread) is bounded per
/// process instead, its waiting requests blocking their threads. The result is a urls::View of the same kind
/// as the one it wraps, keeping its name. Do not put a view that waits for other requests (a long poll, an
/// event stream fed by other views) behind a limit those requests need too.
class LimitConcurrency {
 public:
  /// `per_loop` >= 1 (ImproperlyConfigured otherwise).
  explicit LimitConcurrency(std::size_t per_loop,
                            std::chrono::milliseconds max_wait = std::chrono::seconds(10));

  urls::View operator()(urls::View view) const;
  template <urls::ViewCallable F>
  requires(!std::same_as<std::decay_t<F>, urls::View>) urls::View operator()(F view) const {
    return (*this)(urls::View(std::move(view)));
  }

  std::size_t per_loop() const noexcept;
  std::chrono::milliseconds max_wait() const noexcept;

 private:
  std::shared_ptr<detail::ConcurrencyGate> gate_;
};

inline LimitConcurrency limit_concurrency(std::size_t per_loop,
                                          std::chrono::milliseconds max_wait = std::chrono::seconds(10)) {
  return LimitConcurrency(per_loop, max_wait);
}

}  // namespace duet::views
