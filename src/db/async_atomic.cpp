// aatomic on PostgreSQL: the transaction lives on a leased connection pinned to the flow (a Local), and
// every native a-call of the flow on that alias runs on it.
#include "duet/db/detail/async_atomic.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/this_coro.hpp>
#include <mutex>
#include <vector>

#include "async_internal.hpp"
#include "duet/db/connection.hpp"
#include "duet/db/detail/async_query.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/transaction.hpp"
#include "duet/runtime/local.hpp"
#include "transaction_boundary.hpp"

namespace duet::db::detail {

namespace asio = boost::asio;

namespace {

struct Pinned {
  std::string alias;
  std::unique_ptr<postgresql::Transaction> tx;
  int savepoints = 0;
};

// Per flow: the transactions its aatomic blocks hold, one per alias.
const Local<std::vector<Pinned>> pinned;
// Open pinned transactions of this loop thread's flows: while it is 0, queries skip the Local lookup.
thread_local int pinned_here = 0;

// The aliases a flow has pinned, for its sync code to check from the strand thread (the list above is the
// loop thread's alone). Created once per flow, never replaced, so its address is safe to share.
struct SharedPins {
  std::mutex mutex;
  std::vector<std::string> aliases;
};
const Local<std::unique_ptr<SharedPins>> shared_pins;
// Pinned transactions in the whole process: while it is 0, sync queries skip the check.
std::atomic<int> pinned_anywhere{0};

void share_pin(const std::string& alias, bool pin) {
  auto* slot = shared_pins.get();
  if (!slot) {
    if (!pin) return;
    slot = &shared_pins.set(std::make_unique<SharedPins>());
  }
  auto& pins = **slot;
  std::lock_guard lock(pins.mutex);
  if (pin) {
    pins.aliases.push_back(alias);
    pinned_anywhere.fetch_add(1, std::memory_order_release);
    return;
  }
  auto it = std::find(pins.aliases.begin(), pins.aliases.end(), alias);
  if (it == pins.aliases.end()) return;
  pins.aliases.erase(it);
  pinned_anywhere.fetch_sub(1, std::memory_order_release);
}

Pinned* find(std::string_view alias) {
  if (pinned_here == 0) return nullptr;
  auto* list = pinned.get();
  if (!list) return nullptr;
  for (auto& p : *list) {
    if (p.alias == alias) return &p;
  }
  return nullptr;
}

void unpin(std::string_view alias) {
  auto* list = pinned.get();
  if (!list) return;
  auto before = list->size();
  std::erase_if(*list, [&](const Pinned& p) { return p.alias == alias; });
  if (list->size() != before) --pinned_here;
}

}  // namespace

postgresql::Transaction* pinned_transaction(std::string_view alias) {
  auto* p = find(alias);
  return p ? p->tx.get() : nullptr;
}

Task<NativeAtomicFrame> native_atomic_enter(const std::string& alias, bool savepoint) {
  NativeAtomicFrame frame{alias, false, {}};
  if (auto* p = find(alias)) {
    if (savepoint) {
      frame.savepoint = fmt::format("s{}", ++p->savepoints);
      co_await p->tx->execute("SAVEPOINT " + quote_name(frame.savepoint));
    }
    co_return frame;
  }
  if (!Context::current()) {
    throw TransactionManagementError(
        "aatomic() on PostgreSQL needs a flow to pin its connection to: run it inside a request, "
        "Runtime::block_on() or Runtime::spawn()");
  }
  auto executor = co_await asio::this_coro::executor;
  auto tx =
      std::make_unique<postgresql::Transaction>(co_await postgresql::loop_pool(executor, alias).begin());
  auto* list = pinned.get();
  if (!list) list = &pinned.set({});
  list->push_back({alias, std::move(tx), 0});
  ++pinned_here;
  share_pin(alias, true);
  frame.outermost = true;
  co_return frame;
}

Task<void> native_atomic_exit(const NativeAtomicFrame& frame, bool success) {
  auto* p = find(frame.alias);
  if (!p) throw TransactionManagementError("aatomic(): the transaction is no longer pinned to this flow");
  if (!frame.outermost) {
    if (frame.savepoint.empty()) co_return;
    auto name = quote_name(frame.savepoint);
    if (success) {
      co_await p->tx->execute("RELEASE SAVEPOINT " + name);
    } else {
      try {
        co_await p->tx->execute("ROLLBACK TO SAVEPOINT " + name);
      } catch (const DatabaseError&) {
        // The connection is gone: the outermost block's rollback reports it; the body's error matters here.
      }
    }
    co_return;
  }
  // Unpinned first: whatever happens below, later queries of the flow must not use this transaction.
  auto tx = std::move(p->tx);
  unpin(frame.alias);
  share_pin(frame.alias, false);
  if (success) {
    co_await tx->commit();  // a failing COMMIT has rolled back on the server; its error propagates
    co_return;
  }
  try {
    co_await tx->rollback();
  } catch (const DatabaseError&) {
    // Lost connection: the server rolls back on its own.
  }
}

void refuse_beside_pinned_transaction(std::string_view alias) {
  if (pinned_anywhere.load(std::memory_order_acquire) == 0) return;
  auto* slot = shared_pins.get();
  if (!slot) return;
  auto& pins = **slot;
  {
    std::lock_guard lock(pins.mutex);
    if (std::find(pins.aliases.begin(), pins.aliases.end(), alias) == pins.aliases.end()) return;
  }
  throw TransactionManagementError(fmt::format(
      "This request is inside aatomic() on '{}', whose transaction lives on a pooled PostgreSQL connection; "
      "sync code (a sync_to_async block, or an a-method that runs on the sync strand such as adelete(), "
      "abulk_create() or a prefetch) would run on another connection, outside it. Use the native a-methods "
      "inside the block, or move the sync work before or after it.",
      alias));
}

}  // namespace duet::db::detail

namespace duet::db::transaction {

namespace {
Task<bool> ready(bool v) {
  co_return v;
}
}  // namespace

Task<bool> ain_atomic_block(std::string_view alias) {
  if (duet::db::detail::native_async(alias))
    return ready(duet::db::detail::pinned_transaction(alias) != nullptr);
  return duet::db::detail::on_strand([a = std::string(alias)] { return in_atomic_block(a); });
}

}  // namespace duet::db::transaction
