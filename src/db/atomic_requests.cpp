// ATOMIC_REQUESTS: every view runs in atomic() on each alias that asks for it (Django's make_view_atomic),
// async views in aatomic() — which Django refuses. Rolled back when the view throws, committed when it
// returns, whatever the status code (Django's rule).
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "duet/db/settings.hpp"
#include "duet/db/transaction.hpp"
#include "duet/handlers/base.hpp"

namespace duet::db::detail {

namespace {

using Aliases = std::vector<std::string>;
using http::HttpRequest;
using http::HttpResponse;

std::atomic<std::shared_ptr<const Aliases>> atomic_aliases{nullptr};
constexpr const char* kWrapperName = "duet.db.ATOMIC_REQUESTS";

HttpResponse atomic_sync(const Aliases& aliases, std::size_t i, const std::function<HttpResponse()>& view) {
  if (i == aliases.size()) return view();
  transaction::atomic tx(aliases[i]);
  return atomic_sync(aliases, i + 1, view);
}

// Plain pointers and references only: g++ 12 relocates owning coroutine arguments and closure temporaries
// bitwise (GCC bug 99576). The caller keeps `aliases` alive.
Task<HttpResponse> atomic_async(const Aliases* aliases, std::size_t i,
                                const std::function<Task<HttpResponse>()>* view) {
  if (i == aliases->size()) co_return co_await (*view)();
  auto inner = [aliases, i, view] { return atomic_async(aliases, i + 1, view); };
  co_return co_await transaction::aatomic(inner, (*aliases)[i]);
}

Task<HttpResponse> run_async(const std::function<Task<HttpResponse>()>* view) {
  auto aliases = atomic_aliases.load(std::memory_order_acquire);
  if (!aliases || aliases->empty()) co_return co_await (*view)();
  co_return co_await atomic_async(aliases.get(), 0, view);
}

}  // namespace

/// Called by configure(): (un)registers the view wrapper for the aliases with atomic_requests.
void configure_atomic_requests(const Databases& databases) {
  auto aliases = std::make_shared<Aliases>();
  for (auto& [alias, s] : databases) {
    if (s.atomic_requests) aliases->push_back(alias);
  }
  if (aliases->empty()) {
    atomic_aliases.store(nullptr, std::memory_order_release);
    handlers::remove_view_wrapper(kWrapperName);
    return;
  }
  atomic_aliases.store(std::move(aliases), std::memory_order_release);
  handlers::ViewWrapper wrapper;
  wrapper.sync = [](HttpRequest&, const std::function<HttpResponse()>& view) {
    auto aliases = atomic_aliases.load(std::memory_order_acquire);
    if (!aliases) return view();
    return atomic_sync(*aliases, 0, view);
  };
  wrapper.async = [](HttpRequest&, const std::function<Task<HttpResponse>()>& view) {
    return run_async(&view);
  };
  handlers::set_view_wrapper(kWrapperName, std::move(wrapper));
}

}  // namespace duet::db::detail
