// The boundary between a flow's sync and async transactions on PostgreSQL, where the sync code's connection
// (the strand thread's) and the native a-methods' (pooled, or pinned by aatomic) are different: which one
// a query must use, and what is refused because it would run outside the transaction the code is in.
#pragma once

#include <string_view>

namespace duet::db::detail {

/// Records that the calling thread opened (`open`) or closed its outermost atomic block on `alias`.
void note_sync_atomic_block(std::string_view alias, bool open);

/// True when the current flow's sync strand is served by a thread inside an atomic block on `alias`: a
/// TestCase's transaction, or a sync view's atomic block around async_to_sync. The flow's async ORM calls
/// must then run on that thread, as Django's do, to see (and be part of) what it has not committed.
bool flow_sync_code_in_atomic_block(std::string_view alias);

/// Throws TransactionManagementError when the current flow holds a native aatomic transaction on `alias`:
/// sync ORM code of the flow (on its strand, with the thread's own connection) would run outside it,
/// neither seeing its rows nor rolled back with it. Any thread; cheap while no flow pins anything.
/// Defined with aatomic (async_atomic.cpp).
void refuse_beside_pinned_transaction(std::string_view alias);

}  // namespace duet::db::detail
