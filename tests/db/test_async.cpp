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

// g++ 12 (GCC bug 99576, docs/runtime.md): no owning temporary (a QuerySet, a std::string, a braced list)
// inside a co_await expression and no owning by-value coroutine parameter; every value is named first.
Task<void> add(const Author* a, const char* title, int pages, Book* out) {
  out->title = title;
  out->pages = pages;
  out->author = *a;
  co_await out->asave();
}

Task<void> crud_twins() {
  auto books = Book::objects();
  auto authors = Author::objects();
  db::Values ann_fields{{"name", "Ann"}, {"age", 30}};
  auto ann = co_await authors.acreate(ann_fields);
  EXPECT_FALSE(ann.pk().is_null());
  Book dune, emma;
  co_await add(&ann, "Dune", 412, &dune);
  co_await add(&ann, "Emma", 300, &emma);
  EXPECT_EQ(co_await books.acount(), 2);
  auto long_books = books.filter("pages__gt", 400);
  EXPECT_TRUE(co_await long_books.aexists());
  EXPECT_TRUE(co_await books.acontains(dune));
  auto got = co_await books.aget("title", "Dune");
  EXPECT_EQ(got.pages.value(), 412);
  bool missing = false;
  try {
    co_await books.aget("title", "Nope");
  } catch (const Book::DoesNotExist&) {
    missing = true;
  }
  EXPECT_TRUE(missing);
  auto by_pages = books.order_by("pages");
  auto first = co_await by_pages.afirst();
  auto last = co_await by_pages.alast();
  EXPECT_EQ(first->title, "Emma");
  EXPECT_EQ(last->title, "Dune");
  EXPECT_EQ((co_await books.alatest("pages")).title, "Dune");
  EXPECT_EQ((co_await books.aearliest("pages")).title, "Emma");
  EXPECT_EQ((co_await books.ain_bulk()).size(), 2u);
  auto sum = db::Sum("pages");
  auto agg = co_await books.aaggregate(sum);
  EXPECT_EQ(agg["pages__sum"].as_int(), 712);
  std::vector<db::NamedExpr> doubled{{"pages", db::F("pages") * 2}};
  auto emma_qs = books.filter("title", "Emma");
  EXPECT_EQ(co_await emma_qs.aupdate(doubled), 1);
  got = co_await books.aget("title", "Emma");
  EXPECT_EQ(got.pages.value(), 600);
  got.pages = 601;
  co_await got.asave();
  dune.title = "stale";
  co_await dune.arefresh_from_db();
  EXPECT_EQ(dune.title, "Dune");
  auto by_title = books.order_by("title");
  auto list = co_await by_title.alist();
  EXPECT_EQ(list.size(), 2u);
  if (list.size() != 2u) co_return;
  EXPECT_EQ(list[1].pages.value(), 601);
  db::Values bob_lookup{{"name", "Bob"}}, bob_defaults{{"age", 7}};
  auto [bob, created] = co_await authors.aget_or_create(bob_lookup);
  EXPECT_TRUE(created);
  auto [bob2, created2] = co_await authors.aupdate_or_create(bob_lookup, bob_defaults);
  EXPECT_FALSE(created2);
  EXPECT_EQ(bob2.age.value(), 7);
  auto flat = co_await authors.avalues_list_flat<std::string>("name");
  EXPECT_EQ(flat, (std::vector<std::string>{"Ann", "Bob"}));
  auto dune_qs = books.filter("title", "Dune");
  auto vals = co_await dune_qs.avalues("author__name");
  EXPECT_EQ(vals.at(0).at("author__name").as_string(), "Ann");
  std::vector<Book> more(3);
  for (int i = 0; i < 3; ++i) {
    more[i].title = "B" + std::to_string(i);
    more[i].author = bob;
  }
  auto made = co_await books.abulk_create(std::move(more));
  EXPECT_FALSE(made[2].pk().is_null());
  for (auto& m : made)
    m.pages = 9;
  std::vector<std::string> pages_field{"pages"};
  EXPECT_EQ(co_await books.abulk_update(made, pages_field), 3);
  auto bobs = books.filter("author__name", "Bob");
  auto deleted = co_await bobs.adelete();
  EXPECT_EQ(deleted.total, 3);
  auto r = co_await dune.adelete();
  EXPECT_EQ(r.total, 1);
  EXPECT_EQ(co_await books.acount(), 1);
}

}  // namespace

TEST_F(AsyncOrmTest, CrudTwins) {
  run([] { return crud_twins(); });
}

// asave() checks its options as save() does (test_models.cpp), before anything is written.
Task<void> asave_refuses_conflicting_options() {
  auto authors = Author::objects();
  db::Values ann_fields{{"name", "Ann"}, {"age", 30}};
  auto ann = co_await authors.acreate(ann_fields);
  ann.bio = "changed";
  db::SaveOptions both{.force_insert = true, .update_fields = {"bio"}};
  std::string error;
  try {
    co_await ann.asave(both);
  } catch (const db::ValueError& e) {
    error = e.what();
  }
  EXPECT_EQ(error, "Cannot force both insert and updating in model saving.");
  Author fresh;
  fresh.name = "Bob";
  db::SaveOptions only_name{.update_fields = {"name"}};
  error.clear();
  try {
    co_await fresh.asave(only_name);
  } catch (const db::ValueError& e) {
    error = e.what();
  }
  EXPECT_EQ(error, "Cannot force an update in save() with no primary key.");
  EXPECT_EQ(co_await authors.acount(), 1);
  auto stored = co_await authors.aget("pk", ann.pk());
  EXPECT_EQ(stored.bio.value(), "");
}

TEST_F(AsyncOrmTest, AsaveRefusesConflictingOptions) {
  run([] { return asave_refuses_conflicting_options(); });
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
