#include "duet/db/transaction.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "db/backends/backend.hpp"
#include "duet/db/connection.hpp"
#include "duet/db/exceptions.hpp"
#include "transaction_boundary.hpp"

namespace duet::db::transaction {

namespace detail {

AtomicFrame enter(std::string_view alias, bool savepoint) {
  auto& conn = connections[alias];
  auto& tx = conn.transaction();
  AtomicFrame frame{std::string(alias)};
  if (!tx.in_atomic_block) {
    tx.needs_rollback = false;
    if (!conn.in_transaction()) conn.execute_script(conn.backend().begin_sql(conn.settings()));
    tx.in_atomic_block = true;
    frame.outermost = true;
    duet::db::detail::note_sync_atomic_block(alias, true);
  } else if (savepoint) {
    frame.savepoint =
        fmt::format("s{}_x{}", reinterpret_cast<std::uintptr_t>(&tx) % 100000, ++tx.savepoint_counter);
    conn.execute_script("SAVEPOINT \"" + frame.savepoint + "\"");
    tx.savepoint_ids.push_back(frame.savepoint);
  }
  return frame;
}

namespace {
void drop_hooks_of(TransactionState& tx, const std::string& sid) {
  std::erase_if(tx.on_commit, [&](const TransactionState::Hook& h) {
    return std::find(h.savepoints.begin(), h.savepoints.end(), sid) != h.savepoints.end();
  });
}
}  // namespace

void exit(const AtomicFrame& frame, bool success) {
  auto& conn = connections[frame.alias];
  auto& tx = conn.transaction();
  if (!frame.outermost) {
    if (frame.savepoint.empty()) {
      // No savepoint to go back to: only the whole transaction can be undone.
      if (!success) tx.needs_rollback = true;
      return;
    }
    if (!tx.savepoint_ids.empty() && tx.savepoint_ids.back() == frame.savepoint) tx.savepoint_ids.pop_back();
    auto quoted = "\"" + frame.savepoint + "\"";
    if (success && !tx.needs_rollback) {
      try {
        conn.execute_script("RELEASE SAVEPOINT " + quoted);
        return;
      } catch (...) {
        conn.execute_script("ROLLBACK TO SAVEPOINT " + quoted + "; RELEASE SAVEPOINT " + quoted);
        drop_hooks_of(tx, frame.savepoint);
        throw;
      }
    }
    conn.execute_script("ROLLBACK TO SAVEPOINT " + quoted + "; RELEASE SAVEPOINT " + quoted);
    tx.needs_rollback = false;
    drop_hooks_of(tx, frame.savepoint);
    return;
  }
  tx.in_atomic_block = false;
  tx.savepoint_ids.clear();
  duet::db::detail::note_sync_atomic_block(frame.alias, false);
  if (success && !tx.needs_rollback) {
    try {
      conn.execute_script("COMMIT");
    } catch (...) {
      if (conn.in_transaction()) conn.execute_script("ROLLBACK");
      tx.on_commit.clear();
      throw;
    }
    auto hooks = std::move(tx.on_commit);
    tx.on_commit.clear();
    for (auto& h : hooks)
      h.fn();
    return;
  }
  tx.needs_rollback = false;
  tx.on_commit.clear();
  if (conn.in_transaction()) conn.execute_script("ROLLBACK");
}

}  // namespace detail

atomic::atomic(std::string_view alias, bool savepoint)
    : frame_(detail::enter(alias, savepoint)), uncaught_(std::uncaught_exceptions()) {}

atomic::~atomic() noexcept(false) {
  bool success = std::uncaught_exceptions() == uncaught_;
  if (success) {
    detail::exit(frame_, true);
  } else {
    try {
      detail::exit(frame_, false);
    } catch (...) {
      // Already unwinding: a second exception would terminate. The connection is left for the next
      // atomic block, which starts with a fresh BEGIN only once SQLite reports autocommit again.
    }
  }
}

void on_commit(std::function<void()> fn, std::string_view alias) {
  auto& conn = connections[alias];
  auto& tx = conn.transaction();
  if (!tx.in_atomic_block) {
    fn();
    return;
  }
  tx.on_commit.push_back({tx.savepoint_ids, std::move(fn)});
}

void set_rollback(bool rollback, std::string_view alias) {
  auto& tx = connections[alias].transaction();
  if (!tx.in_atomic_block) {
    throw TransactionManagementError("The rollback flag doesn't work outside of an 'atomic' block.");
  }
  tx.needs_rollback = rollback;
}

bool get_rollback(std::string_view alias) {
  return connections[alias].transaction().needs_rollback;
}

bool in_atomic_block(std::string_view alias) {
  return connections[alias].in_atomic_block();
}

}  // namespace duet::db::transaction
