// The a-methods on PostgreSQL run natively on the event loop: the per-loop pool registry, no sync thread
// ever used, many agets pipelined on one connection, aatomic pinning a connection to the flow.
#include <gtest/gtest.h>

#include <boost/asio/this_coro.hpp>
#include <set>

#include "db/scratch_database.hpp"
#include "duet/db.hpp"
#include "duet/db/backends/postgresql/pool.hpp"
#include "duet/runtime.hpp"
#include "duet/runtime/gather.hpp"
#include "duet/runtime/timeout.hpp"

namespace db = duet::db;
namespace pg = duet::db::postgresql;
using duet::Task;

namespace {

struct Item : db::Model<Item> {
  db::CharField name;
  db::IntegerField qty;
  static void meta(db::Meta<Item>& m) {
    m.db_table("async_item");
    m.field(&Item::name, "name").max_length(50);
    m.field(&Item::qty, "qty").default_(0);
  }
};

class NativeAsyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_ = db::testing::pg_cluster_settings();
    db::configure({{"default", settings_}});
    db::connection().execute_script("DROP TABLE IF EXISTS async_item");
    db::create_tables<Item>();
    db::connections.close_all();
    pg::set_pool_sizing("default", {});
  }
  void TearDown() override { db::connections.close_all(); }
  db::DatabaseSettings settings_;
};

Task<const pg::Pool*> pool_here(std::string alias) {
  auto ex = co_await boost::asio::this_coro::executor;
  co_return &pg::loop_pool(ex, alias);
}

TEST_F(NativeAsyncTest, OnePoolPerLoopAndAliasReplacedByConfigure) {
  duet::Runtime rt({.loops = 2, .sync_threads = 2});
  auto a = rt.block_on(pool_here("default"));  // loop 0
  auto b = rt.block_on(pool_here("default"));  // loop 1
  auto c = rt.block_on(pool_here("default"));  // loop 0 again
  EXPECT_NE(a, b);
  EXPECT_EQ(a, c);
  EXPECT_EQ(a->options().max_size, pg::PoolSizing{}.max_size);
  // A new configuration gives the loop a new pool (the old one may point at another server).
  pg::set_pool_sizing("default", {.min_size = 1, .max_size = 3});
  db::configure({{"default", settings_}, {"lite", db::DatabaseSettings::from_url("sqlite://:memory:")}});
  rt.block_on(pool_here("default"));           // loop 1
  auto d = rt.block_on(pool_here("default"));  // loop 0
  EXPECT_EQ(d->options().max_size, 3u);
  EXPECT_THROW(rt.block_on(pool_here("lite")), db::ImproperlyConfigured);
}

TEST_F(NativeAsyncTest, ALoopAlternatingAliasesGetsEachAliasItsOwnPool) {
  // loop_pool() remembers the last alias's pool per thread: switching aliases must not hand out the other's.
  db::configure({{"default", settings_}, {"other", settings_}});
  duet::Runtime rt({.loops = 1, .sync_threads = 1});
  auto a = rt.block_on(pool_here("default"));
  auto b = rt.block_on(pool_here("other"));
  auto a2 = rt.block_on(pool_here("default"));
  auto b2 = rt.block_on(pool_here("other"));
  EXPECT_NE(a, b);
  EXPECT_EQ(a, a2);
  EXPECT_EQ(b, b2);
  // Nor a pool of an older configuration of the same alias.
  pg::set_pool_sizing("other", {.min_size = 1, .max_size = 2});
  db::configure({{"default", settings_}, {"other", settings_}});
  EXPECT_EQ(rt.block_on(pool_here("other"))->options().max_size, 2u);
  EXPECT_EQ(rt.block_on(pool_here("default"))->options().max_size, pg::PoolSizing{}.max_size);
  pg::set_pool_sizing("other", {});
}

Task<void> crud() {
  auto items = Item::objects();
  db::Values apple{{"name", "apple"}, {"qty", 3}};
  auto a = co_await items.acreate(apple);
  EXPECT_FALSE(a.pk().is_null());
  Item pear;
  pear.name = "pear";
  pear.qty = 5;
  co_await pear.asave();  // INSERT ... RETURNING the key
  EXPECT_NE(pear.pk(), a.pk());
  pear.qty = 6;
  co_await pear.asave();  // UPDATE
  auto got = co_await items.aget("name", "pear");
  EXPECT_EQ(got.qty.value(), 6);
  EXPECT_EQ(co_await items.acount(), 2);
  auto many = items.filter("qty__gt", 4);
  EXPECT_TRUE(co_await many.aexists());
  auto none = items.filter("qty__gt", 100);
  EXPECT_FALSE(co_await none.aexists());
  auto by_qty = items.order_by("qty");
  auto first = co_await by_qty.afirst();
  auto last = co_await by_qty.alast();
  EXPECT_EQ(first->name.value(), "apple");
  EXPECT_EQ(last->name.value(), "pear");
  auto all = co_await by_qty.alist();
  EXPECT_EQ(all.size(), 2u);
  auto sum = co_await items.aaggregate(db::Sum("qty"));
  EXPECT_EQ(sum.at("qty__sum").as_int(), 9);
  std::vector<db::NamedExpr> bump{{"qty", db::F("qty") + 10}};
  auto apples = items.filter("name", "apple");
  EXPECT_EQ(co_await apples.aupdate(bump), 1);
  auto flat = co_await by_qty.avalues_list_flat<std::int64_t>("qty");
  EXPECT_EQ(flat, (std::vector<std::int64_t>{6, 13}));
  auto dicts = co_await by_qty.avalues("name");
  EXPECT_EQ(dicts.at(0).at("name").as_string(), "pear");
  auto bulk = co_await items.ain_bulk();
  EXPECT_EQ(bulk.size(), 2u);
  for (auto& o : all)
    o.qty = 100;
  std::vector<std::string> fields{"qty"};
  EXPECT_EQ(co_await items.abulk_update(all, fields), 2);
  auto total = co_await items.aaggregate(db::Sum("qty"));
  EXPECT_EQ(total.at("qty__sum").as_int(), 200);
  bool missing = false;
  try {
    co_await items.aget("name", "plum");
  } catch (const Item::DoesNotExist&) {
    missing = true;
  }
  EXPECT_TRUE(missing);
}

TEST_F(NativeAsyncTest, TheAMethodsNeverUseTheSyncPool) {
  duet::Runtime rt({.loops = 1, .sync_threads = 2});
  rt.block_on(crud());
  // Every query ran on the loop: not one sync thread was ever started.
  EXPECT_EQ(rt.sync_thread_count(), 0u);
}

Task<void> hundred_agets(std::set<std::int64_t>* seen) {
  auto items = Item::objects();
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 100; ++i) {
    db::Values v{{"name", "n" + std::to_string(i)}, {"qty", i}};
    auto item = co_await items.acreate(v);
    ids.push_back(item.pk().as_int());
  }
  std::vector<Task<Item>> gets;
  for (auto id : ids)
    gets.push_back(items.aget("id", id));
  auto results = co_await duet::gather(std::move(gets));
  for (auto& r : results)
    seen->insert(r.qty.value());
}

TEST_F(NativeAsyncTest, AGatherOfAHundredAgetsIsPipelinedOnOneConnection) {
  pg::set_pool_sizing("default", {.min_size = 1, .max_size = 1, .pipeline_depth = 1000});
  duet::Runtime rt({.loops = 1, .sync_threads = 2});
  std::set<std::int64_t> seen;
  rt.block_on(hundred_agets(&seen));
  EXPECT_EQ(seen.size(), 100u);
  auto stats = rt.block_on([]() -> Task<pg::PoolStats> {
    auto ex = co_await boost::asio::this_coro::executor;
    co_return pg::loop_pool(ex, "default").stats();
  }());
  EXPECT_EQ(stats.opened_total, 1u);
  EXPECT_EQ(rt.sync_thread_count(), 0u);
}

Task<void> twenty_counts(std::int64_t* total) {
  std::vector<Task<std::int64_t>> counts;
  for (int i = 0; i < 20; ++i)
    counts.push_back(Item::objects().acount());
  for (auto n : co_await duet::gather(std::move(counts)))
    *total += n;
}

TEST_F(NativeAsyncTest, QueriesWaitingWhileThePoolConnectsShareTheNewConnections) {
  // More queries than connections, all arriving before the first connection is up: they wait for one and
  // must be woken when it opens (not time out).
  pg::set_pool_sizing("default", {.min_size = 1, .max_size = 2, .acquire_timeout = std::chrono::seconds(30)});
  Item::objects().create({{"name", "one"}});
  duet::Runtime rt({.loops = 1, .sync_threads = 2});
  std::int64_t total = 0;
  rt.block_on(twenty_counts(&total));
  EXPECT_EQ(total, 20);
}

Task<void> cancelled_update(bool* timed_out) {
  auto items = Item::objects();
  db::Values v{{"name", "locked"}, {"qty", 1}};
  co_await items.acreate(v);
  auto executor = co_await boost::asio::this_coro::executor;
  auto& pool = pg::loop_pool(executor, "default");
  // Another transaction holds the row: the ORM's UPDATE waits on the server until it ends.
  auto holder = co_await pool.begin();
  std::string lock = "SELECT id FROM async_item WHERE name = 'locked' FOR UPDATE";
  co_await holder.query(std::move(lock));
  std::vector<db::NamedExpr> set{{"qty", 2}};
  auto locked = items.filter("name", "locked");
  try {
    co_await duet::with_timeout(locked.aupdate(set), std::chrono::milliseconds(200));
  } catch (const duet::TimeoutError&) {
    *timed_out = true;  // the awaiting task was resumed although the UPDATE still waits on the server
  }
  co_await holder.rollback();
  // The abandoned UPDATE then completes on the server; its result goes nowhere, and the connection it was
  // sent on keeps serving others with their own results.
  auto row = co_await locked.aget();
  EXPECT_EQ(row.name.value(), "locked");
  EXPECT_EQ(co_await items.acount(), 1);
  // Its commit may land after a read on another connection has begun: wait for it (bounded), as nothing
  // can await a result that goes nowhere.
  auto qty = co_await locked.avalues_list_flat<std::int64_t>("qty");
  for (int attempt = 0; attempt < 500 && qty != std::vector<std::int64_t>{2}; ++attempt) {
    co_await duet::sleep(std::chrono::milliseconds(10));
    qty = co_await locked.avalues_list_flat<std::int64_t>("qty");
  }
  EXPECT_EQ(qty, std::vector<std::int64_t>{2});
}

TEST_F(NativeAsyncTest, CancellingAQueryAbandonsItAndTheConnectionStaysUsable) {
  duet::Runtime rt({.loops = 1, .sync_threads = 2});
  bool timed_out = false;
  rt.block_on(cancelled_update(&timed_out));
  EXPECT_TRUE(timed_out);
}

Task<void> atomic_blocks() {
  auto items = Item::objects();
  // Rolled back by an exception: nothing stays.
  bool thrown = false;
  try {
    co_await db::transaction::aatomic([&]() -> Task<void> {
      db::Values v{{"name", "ghost"}};
      co_await items.acreate(v);
      EXPECT_EQ(co_await items.acount(), 1);  // seen inside: same pinned connection
      throw std::runtime_error("boom");
    });
  } catch (const std::runtime_error&) {
    thrown = true;
  }
  EXPECT_TRUE(thrown);
  EXPECT_EQ(co_await items.acount(), 0);
  // Committed, with an inner block rolled back to its savepoint.
  co_await db::transaction::aatomic([&]() -> Task<void> {
    db::Values kept{{"name", "kept"}};
    co_await items.acreate(kept);
    try {
      co_await db::transaction::aatomic([&]() -> Task<void> {
        db::Values lost{{"name", "lost"}};
        co_await items.acreate(lost);
        throw std::runtime_error("inner");
      });
    } catch (const std::runtime_error&) {
    }
  });
  auto names = co_await items.avalues_list_flat<std::string>("name");
  EXPECT_EQ(names, std::vector<std::string>{"kept"});
}

TEST_F(NativeAsyncTest, AatomicPinsOneConnectionCommitsAndRollsBack) {
  duet::Runtime rt({.loops = 1, .sync_threads = 2});
  rt.block_on(atomic_blocks());
  EXPECT_EQ(rt.sync_thread_count(), 0u);
  EXPECT_EQ(Item::objects().count(), 1);  // the sync API sees the committed row
}

// Sync code of a flow inside its native aatomic would run on the strand thread's own connection, outside
// the transaction (not seeing its rows, not rolled back with it): refused with an error naming the fix, and
// the block rolls back. Outside the block the same sync code runs as usual.
Task<void> sync_work_inside_aatomic(std::vector<std::string>* errors, std::int64_t* after) {
  auto items = Item::objects();
  try {
    co_await db::transaction::aatomic([&]() -> Task<void> {
      db::Values v{{"name", "inside"}};
      co_await items.acreate(v);
      co_await duet::sync_to_async([] { return Item::objects().count(); });
    });
  } catch (const db::TransactionManagementError& e) {
    errors->push_back(e.what());
  }
  try {
    co_await db::transaction::aatomic([&]() -> Task<void> {
      co_await items.filter("name", "nobody").adelete();  // the cascade collection is sync code
    });
  } catch (const db::TransactionManagementError& e) {
    errors->push_back(e.what());
  }
  *after = co_await duet::sync_to_async([] { return Item::objects().count(); });
}

TEST_F(NativeAsyncTest, SyncOrmCodeInsideANativeAatomicIsRefused) {
  duet::Runtime rt({.loops = 1, .sync_threads = 2});
  std::vector<std::string> errors;
  std::int64_t after = -1;
  rt.block_on(sync_work_inside_aatomic(&errors, &after));
  ASSERT_EQ(errors.size(), 2u);
  for (auto& e : errors) {
    EXPECT_NE(e.find("inside aatomic() on 'default'"), std::string::npos) << e;
    EXPECT_NE(e.find("move the sync work before or after it"), std::string::npos) << e;
  }
  EXPECT_EQ(after, 0);  // the first block's row was rolled back with it
  EXPECT_EQ(Item::objects().count(), 0);
}

}  // namespace

// alist() and aget() fill their objects from the driver's rows as received (RowsAs::raw): the same objects,
// annotations and errors as the converted rows gave.
Task<void> hydrate_from_raw_rows() {
  auto items = Item::objects();
  for (int i = 1; i <= 3; ++i) {
    db::Values v{{"name", "item " + std::to_string(i)}, {"qty", i * 10}};
    co_await items.acreate(v);
  }
  auto all = items.order_by({"qty"});
  auto listed = co_await all.alist();
  EXPECT_EQ(listed.size(), 3u);
  for (std::size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ(listed[i].name.value(), "item " + std::to_string(i + 1));
    EXPECT_EQ(listed[i].qty.value(), static_cast<std::int64_t>(i + 1) * 10);
    EXPECT_FALSE(listed[i]._state.adding);
    EXPECT_EQ(listed[i]._state.db, "default");
  }
  auto doubled = items.annotate({{"twice", db::F("qty") * 2}}).order_by({"-qty"});
  auto annotated = co_await doubled.alist();
  EXPECT_EQ(annotated.size(), 3u);
  if (!annotated.empty()) {
    EXPECT_EQ(annotated[0].qty.value(), 30);
    EXPECT_EQ(annotated[0].annotation("twice").as_int(), 60);
  }
  auto one = co_await items.aget("qty", 20);
  EXPECT_EQ(one.name.value(), "item 2");
  EXPECT_FALSE(one._state.adding);
  bool missing = false, several = false;
  try {
    co_await items.aget("qty", 99);
  } catch (const Item::DoesNotExist&) {
    missing = true;
  }
  try {
    co_await items.aget("qty__gte", 10);
  } catch (const Item::MultipleObjectsReturned& e) {
    several = std::string(e.what()).find("3") != std::string::npos;
  }
  EXPECT_TRUE(missing);
  EXPECT_TRUE(several);
  auto none = co_await items.filter("qty", 99).alist();
  EXPECT_TRUE(none.empty());
}

TEST_F(NativeAsyncTest, AlistAndAgetFillObjectsFromTheDriversRows) {
  duet::Runtime rt({.loops = 1, .sync_threads = 2});
  rt.block_on(hydrate_from_raw_rows());
}
