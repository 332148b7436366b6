// prefetch_related(): one extra query per relation, results served from memory by the managers.
#include <gtest/gtest.h>

#include "duet/runtime.hpp"
#include "models.hpp"

namespace db = duet::db;
using duet::Task;
using duet::db::testing::RelTest;
using rel::Category;
using rel::Post;
using rel::Tag;
using rel::Writer;

namespace {

std::uint64_t queries() {
  return db::connection().queries_executed();
}

class PrefetchTest : public RelTest {
 protected:
  void SetUp() override {
    RelTest::SetUp();
    ann = Writer::objects().create({{"name", "Ann"}});
    bob = Writer::objects().create({{"name", "Bob"}});
    auto cpp = Tag::objects().create({{"name", "c++"}});
    auto sql = Tag::objects().create({{"name", "sql"}});
    Tag::objects().create({{"name", "unused"}});
    for (auto [title, writer] : {std::pair{"A", &ann}, {"B", &ann}, {"C", &bob}}) {
      db::Values v{{"title", title}, {"writer", writer->pk()}};
      Post::objects().create(v);
    }
    Post::objects().get("title", "A").tags().add(cpp, sql);
    Post::objects().get("title", "B").tags().add(sql);
  }
  Writer ann, bob;
};

std::string joined(const std::vector<Tag>& tags) {
  std::string out;
  for (auto& t : tags)
    out += (out.empty() ? "" : ",") + t.name.value();
  return out;
}

}  // namespace

TEST_F(PrefetchTest, ManyToManyForwardIsOneQuery) {
  auto before = queries();
  auto posts = Post::objects().prefetch_related("tags").list();
  EXPECT_EQ(queries() - before, 2u);  // the posts, then every post's tags
  ASSERT_EQ(posts.size(), 3u);
  before = queries();
  EXPECT_EQ(joined(posts[0].tags().list()), "c++,sql");
  EXPECT_EQ(joined(posts[1].tags().list()), "sql");
  EXPECT_EQ(posts[2].tags().count(), 0);
  std::string seen;
  for (const Tag& t : posts[0].tags())
    seen += t.name.value();
  EXPECT_EQ(seen, "c++sql");
  EXPECT_EQ(queries() - before, 0u);  // all from memory
  // A filtered manager is a new query, as in Django.
  EXPECT_EQ(posts[0].tags().filter("name", "sql").count(), 1);
  EXPECT_EQ(queries() - before, 1u);
  // Changing the relation drops the prefetched list.
  posts[1].tags().clear();
  EXPECT_EQ(posts[1].tags().count(), 0);
}

TEST_F(PrefetchTest, ReverseKeyAndReverseManyToMany) {
  auto before = queries();
  auto writers = Writer::objects().prefetch_related("posts").list();
  EXPECT_EQ(queries() - before, 2u);
  before = queries();
  EXPECT_EQ(writers[0].related_set(&Post::writer).count(), 2);  // Ann
  EXPECT_EQ(writers[1].related_set(&Post::writer).list().at(0).title.value(), "C");
  EXPECT_EQ(queries() - before, 0u);

  before = queries();
  auto tags = Tag::objects().prefetch_related("posts").list();
  EXPECT_EQ(queries() - before, 2u);
  before = queries();
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags[0].related_set(&Post::tags).count(), 1);  // c++: A
  EXPECT_EQ(tags[1].related_set(&Post::tags).count(), 2);  // sql: A, B
  EXPECT_EQ(tags[2].related_set(&Post::tags).count(), 0);
  EXPECT_EQ(queries() - before, 0u);
}

TEST_F(PrefetchTest, ForwardKeyAndNestedPaths) {
  auto before = queries();
  auto posts = Post::objects().prefetch_related("writer").list();
  EXPECT_EQ(queries() - before, 2u);
  before = queries();
  EXPECT_EQ(posts[0].writer->name.value(), "Ann");
  EXPECT_EQ(posts[2].writer->name.value(), "Bob");
  EXPECT_EQ(queries() - before, 0u);

  // writers → their posts → the posts' tags: three queries however many rows.
  before = queries();
  auto writers = Writer::objects().prefetch_related("posts", "posts__tags").list();
  EXPECT_EQ(queries() - before, 3u);
  before = queries();
  auto ann_posts = writers[0].related_set(&Post::writer).list();
  ASSERT_EQ(ann_posts.size(), 2u);
  EXPECT_EQ(joined(ann_posts[0].tags().list()), "c++,sql");
  EXPECT_EQ(queries() - before, 0u);
}

TEST_F(PrefetchTest, WorksWithGetAndClears) {
  auto before = queries();
  auto a = Post::objects().prefetch_related("tags").get("title", "A");
  EXPECT_EQ(queries() - before, 2u);
  EXPECT_EQ(a.tags().count(), 2);
  EXPECT_EQ(queries() - before, 2u);
  before = queries();
  auto plain = Post::objects().prefetch_related("tags").prefetch_related(std::vector<std::string>{}).list();
  EXPECT_EQ(queries() - before, 1u);
}

TEST_F(PrefetchTest, BadNamesFailWhenTheQuerySetIsBuilt) {
  try {
    Post::objects().prefetch_related("tag");
    FAIL() << "expected FieldError";
  } catch (const db::FieldError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("Cannot find 'tag' on Post object"), std::string::npos) << msg;
    EXPECT_NE(msg.find("tags"), std::string::npos) << msg;
  }
  EXPECT_THROW(Post::objects().prefetch_related("tags__nope"), db::FieldError);
  EXPECT_THROW(Post::objects().prefetch_related("title"), db::FieldError);
}

namespace {
class AsyncPrefetchTest : public PrefetchTest {
 protected:
  static duet::Runtime& rt() {
    static duet::Runtime runtime({.loops = 1, .sync_threads = 2});
    return runtime;
  }
};

Task<void> async_prefetch(std::vector<std::string>* seen) {
  auto qs = Post::objects().prefetch_related("tags", "writer");
  auto posts = co_await qs.alist();
  // On the event loop: only memory may answer (a query would throw SynchronousOnlyOperation).
  for (auto& p : posts) {
    std::string tags;
    for (const Tag& t : p.tags())
      tags += t.name.value();
    seen->push_back(p.title.value() + ":" + p.writer->name.value() + ":" + tags);
  }
  // Named first: g++ 12 loses the prefetch list of a QuerySet built inside the co_await expression.
  auto first_qs = Post::objects().prefetch_related("tags");
  auto first = co_await first_qs.afirst();
  seen->push_back(std::to_string(first->tags().count()));
  auto all = co_await first->tags().alist();
  seen->push_back(std::to_string(all.size()));
}
}  // namespace

TEST_F(AsyncPrefetchTest, ATerminalsPrefetch) {
  std::vector<std::string> seen;
  rt().block_on(async_prefetch(&seen));
  EXPECT_EQ(seen, (std::vector<std::string>{"A:Ann:c++sql", "B:Ann:sql", "C:Bob:", "2", "2"}));
}

TEST_F(PrefetchTest, FirstAndLastPrefetch) {
  auto first = Post::objects().prefetch_related("tags").first();
  ASSERT_TRUE(first);
  auto before = queries();
  EXPECT_EQ(first->tags().count(), 2);
  EXPECT_EQ(queries() - before, 0u);
}
