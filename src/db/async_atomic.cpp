// aatomic on PostgreSQL: the transaction lives on a leased connection pinned to the flow (a Local), and
// every native a-call of the flow on that alias runs on it.
#include "duet/db/detail/async_atomic.hpp"

#include <fmt/format.h>

#include <boost/asio/this_coro.hpp>
#include <vector>

#include "async_internal.hpp"
#include "duet/db/connection.hpp"
#include "duet/db/detail/async_query.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/transaction.hpp"
#include "duet/runtime/local.hpp"

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
