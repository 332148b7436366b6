// Models of the relations tests: posts with tags (many-to-many both ways), authors with posts (reverse keys).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "db/scratch_database.hpp"
#include "duet/db.hpp"

namespace rel {

using namespace duet::db;

struct Writer : Model<Writer> {
  CharField name;
  static void meta(Meta<Writer>& m) {
    m.app_label("rel").ordering({"name"});
    m.field(&Writer::name, "name").max_length(50);
  }
};

struct Tag : Model<Tag> {
  CharField name;
  static void meta(Meta<Tag>& m) {
    m.app_label("rel").ordering({"name"});
    m.field(&Tag::name, "name").max_length(30).unique();
  }
};

struct Category : Model<Category> {
  CharField name;
  static void meta(Meta<Category>& m) {
    m.app_label("rel");
    m.field(&Category::name, "name").max_length(30);
  }
};

struct Post : Model<Post> {
  CharField title;
  ForeignKey<Writer> writer;
  ManyToManyField<Tag> tags;
  ManyToManyField<Category> categories;  // no related_name: category.post_set, lookups "post__..."
  static void meta(Meta<Post>& m) {
    m.app_label("rel").ordering({"title"});
    m.field(&Post::title, "title").max_length(100);
    m.field(&Post::writer, "writer").null().on_delete(CASCADE).related_name("posts");
    m.field(&Post::tags, "tags").related_name("posts");
    m.field(&Post::categories, "categories").blank();
  }
};

/// A many-to-many field pointing at its own model (from_/to_ columns).
struct Person : Model<Person> {
  CharField name;
  ManyToManyField<Person> follows;
  static void meta(Meta<Person>& m) {
    m.app_label("rel").ordering({"name"});
    m.field(&Person::name, "name").max_length(30);
    m.field(&Person::follows, "follows").related_name("followers");
  }
};

}  // namespace rel

namespace duet::db::testing {

/// Each test gets a fresh database file with these tables.
using RelTest = ScratchDatabaseTest<rel::Writer, rel::Tag, rel::Category, rel::Post, rel::Person>;

}  // namespace duet::db::testing
