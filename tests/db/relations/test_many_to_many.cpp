// ManyToManyField: the through table, both related managers, filtering across it, deletion, async twins.
#include <gtest/gtest.h>

#include <algorithm>

#include "duet/runtime.hpp"
#include "models.hpp"

namespace db = duet::db;
using duet::Task;
using duet::db::testing::RelTest;
using rel::Category;
using rel::Person;
using rel::Post;
using rel::Tag;
using rel::Writer;

namespace {

std::vector<std::string> names(const std::vector<Tag>& tags) {
  std::vector<std::string> out;
  for (auto& t : tags)
    out.push_back(t.name.value());
  return out;
}
std::vector<std::string> titles(const std::vector<Post>& posts) {
  std::vector<std::string> out;
  for (auto& p : posts)
    out.push_back(p.title.value());
  return out;
}

Tag tag(const std::string& name) {
  return Tag::objects().create({{"name", name}});
}
Post post(const std::string& title) {
  return Post::objects().create({{"title", title}});
}

}  // namespace

TEST_F(RelTest, MetaDescribesTheThroughTable) {
  const auto& m = Post::_meta();
  ASSERT_EQ(m.many_to_many.size(), 2u);
  const auto& tags = m.many_to_many[0];
  EXPECT_EQ(tags.name, "tags");
  EXPECT_EQ(tags.through_table, "rel_post_tags");
  EXPECT_EQ(tags.source_column, "post_id");
  EXPECT_EQ(tags.target_column, "tag_id");
  EXPECT_EQ(&tags.related_model(), &Tag::_meta());
  EXPECT_EQ(tags.model, &m);
  EXPECT_EQ(tags.through_label(), "rel.Post_tags");
  // No column on the owner's table.
  EXPECT_EQ(m.find_field("tags"), nullptr);
  const auto& follows = Person::_meta().many_to_many.at(0);
  EXPECT_EQ(follows.source_column, "from_person_id");
  EXPECT_EQ(follows.target_column, "to_person_id");
  auto sql = db::detail::through_table_sql(tags);
  ASSERT_EQ(sql.size(), 4u);
  EXPECT_NE(sql[0].find("CREATE TABLE \"rel_post_tags\""), std::string::npos);
  EXPECT_NE(sql[1].find("CREATE UNIQUE INDEX"), std::string::npos);
  EXPECT_NE(sql[1].find("(\"post_id\", \"tag_id\")"), std::string::npos);
  // Reverse side, with and without related_name.
  ASSERT_NE(Tag::_meta().find_related_many_to_many("posts"), nullptr);
  ASSERT_NE(Category::_meta().find_related_many_to_many("post"), nullptr);
  EXPECT_EQ(Category::_meta().find_related_many_to_many("post")->accessor, "post_set");
  EXPECT_NE(Tag::_meta().field_choices().find("posts"), std::string::npos);
}

TEST_F(RelTest, AddRemoveClearSetForward) {
  auto cpp = tag("c++"), db_ = tag("db"), web = tag("web");
  auto p = post("ORM");
  p.tags().add(cpp, db_);
  p.tags().add(cpp);  // already there: no error, no duplicate
  EXPECT_EQ(names(p.tags().list()), (std::vector<std::string>{"c++", "db"}));
  EXPECT_EQ(p.tags().count(), 2);
  p.tags().remove(cpp);
  EXPECT_EQ(names(p.tags().list()), (std::vector<std::string>{"db"}));
  p.tags().add(web.pk());  // by primary key
  EXPECT_EQ(p.tags().count(), 2);
  p.tags().set({cpp, web});
  EXPECT_EQ(names(p.tags().list()), (std::vector<std::string>{"c++", "web"}));
  // The manager is a QuerySet: it chains.
  EXPECT_EQ(p.tags().filter("name__startswith", "w").count(), 1);
  p.tags().clear();
  EXPECT_EQ(p.tags().count(), 0);
  EXPECT_EQ(Tag::objects().count(), 3);  // clear() removes links, not tags
}

TEST_F(RelTest, ReverseManager) {
  auto cpp = tag("c++");
  auto a = post("A"), b = post("B"), c = post("C");
  cpp.related_set(&Post::tags).add(a, c);
  EXPECT_EQ(titles(cpp.related_set(&Post::tags).list()), (std::vector<std::string>{"A", "C"}));
  EXPECT_EQ(names(a.tags().list()), (std::vector<std::string>{"c++"}));
  EXPECT_EQ(b.tags().count(), 0);
  cpp.related_set(&Post::tags).set({b});
  EXPECT_EQ(titles(cpp.related_set(&Post::tags).list()), (std::vector<std::string>{"B"}));
  EXPECT_EQ(a.tags().count(), 0);
  // Without related_name: Django's category.post_set.
  auto news = Category::objects().create({{"name", "news"}});
  news.related_set(&Post::categories).add(a);
  EXPECT_EQ(titles(news.related_set(&Post::categories).list()), (std::vector<std::string>{"A"}));
}

TEST_F(RelTest, FilterAcrossTheRelation) {
  auto cpp = tag("c++"), db_ = tag("db");
  auto a = post("A"), b = post("B"), c = post("C");
  a.tags().add(cpp, db_);
  b.tags().add(db_);
  EXPECT_EQ(titles(Post::objects().filter("tags__name", "c++").list()), (std::vector<std::string>{"A"}));
  EXPECT_EQ(
      titles(Post::objects().filter("tags__name__in", std::vector<db::Value>{"c++", "db"}).distinct().list()),
      (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(titles(Post::objects().filter("tags", db_.pk()).list()), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(titles(Post::objects().filter("tags__isnull", true).list()), (std::vector<std::string>{"C"}));
  EXPECT_EQ(names(Tag::objects().filter("posts__title", "B").list()), (std::vector<std::string>{"db"}));
  auto news = Category::objects().create({{"name", "news"}});
  c.categories().add(news);
  EXPECT_EQ(Category::objects().filter("post__title", "C").count(), 1);
  // Annotations count across it.
  auto counted = Tag::objects().annotate({{"n", db::Count("posts")}}).order_by("name").list();
  ASSERT_EQ(counted.size(), 2u);
  EXPECT_EQ(counted[0].annotation("n").as_int(), 1);
  EXPECT_EQ(counted[1].annotation("n").as_int(), 2);
  // A bad name lists the relation among the choices.
  try {
    Post::objects().filter("tag__name", "x");
    FAIL() << "expected FieldError";
  } catch (const db::FieldError& e) {
    EXPECT_NE(std::string(e.what()).find("tags"), std::string::npos) << e.what();
  }
}

TEST_F(RelTest, SelfReferential) {
  auto ann = Person::objects().create({{"name", "Ann"}});
  auto bob = Person::objects().create({{"name", "Bob"}});
  auto cid = Person::objects().create({{"name", "Cid"}});
  ann.follows().add(bob, cid);
  bob.follows().add(cid);
  EXPECT_EQ(ann.follows().count(), 2);
  EXPECT_EQ(cid.related_set(&Person::follows).count(), 2);
  EXPECT_EQ(bob.related_set(&Person::follows).list().at(0).name.value(), "Ann");
  EXPECT_EQ(Person::objects().filter("followers__name", "Bob").get().name.value(), "Cid");
}

TEST_F(RelTest, DeletingEitherSideRemovesItsLinks) {
  auto cpp = tag("c++"), db_ = tag("db");
  auto a = post("A"), b = post("B");
  a.tags().add(cpp, db_);
  b.tags().add(cpp);
  auto r = a.delete_();
  EXPECT_EQ(r.total, 3);
  EXPECT_EQ(r.per_model["rel.Post"], 1);
  EXPECT_EQ(r.per_model["rel.Post_tags"], 2);
  cpp.delete_();
  EXPECT_EQ(b.tags().count(), 0);
  EXPECT_EQ(db::connection().query("SELECT COUNT(*) FROM rel_post_tags").at(0).at(0).as_int(), 0);
}

TEST_F(RelTest, UnsavedInstancesAreRefused) {
  Post p;
  p.title = "draft";
  EXPECT_THROW(p.tags(), db::ValueError);
  auto saved = post("x");
  Tag t;
  t.name = "new";
  EXPECT_THROW(saved.tags().add(t), db::ValueError);
  // A copy of an instance keeps working (the member's offset is copied with it).
  Post copy = saved;
  copy.tags().add(tag("t"));
  EXPECT_EQ(saved.tags().count(), 1);
}

TEST_F(RelTest, AddingAMissingKeyFailsAtCommit) {
  auto p = post("x");
  EXPECT_THROW(p.tags().add(db::Value(std::int64_t{999})), db::IntegrityError);
  EXPECT_EQ(p.tags().count(), 0);
}

namespace {
class AsyncRelTest : public RelTest {
 protected:
  static duet::Runtime& rt() {
    static duet::Runtime runtime({.loops = 1, .sync_threads = 2});
    return runtime;
  }
};

Task<void> async_relations(Post* p, Tag* cpp, Tag* db_, std::vector<std::string>* seen) {
  auto tags = p->tags();
  co_await tags.aadd(*cpp, *db_);
  auto listed = co_await p->tags().alist();
  for (auto& t : listed)
    seen->push_back(t.name.value());
  co_await p->tags().aremove(*cpp);
  seen->push_back(std::to_string(co_await p->tags().acount()));
  std::vector<Tag> wanted{*cpp};
  co_await p->tags().aset(wanted);
  auto first = co_await p->tags().afirst();
  seen->push_back(first ? first->name.value() : "none");
  auto reverse = cpp->related_set(&Post::tags);
  seen->push_back(std::to_string(co_await reverse.acount()));
  co_await p->tags().aclear();
  seen->push_back(std::to_string(co_await p->tags().acount()));
}
}  // namespace

TEST_F(AsyncRelTest, AsyncTwins) {
  auto cpp = tag("c++"), db_ = tag("db");
  auto p = post("ORM");
  std::vector<std::string> seen;
  rt().block_on(async_relations(&p, &cpp, &db_, &seen));
  EXPECT_EQ(seen, (std::vector<std::string>{"c++", "db", "1", "c++", "1", "0"}));
}
