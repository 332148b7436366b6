// Models shared by the db tests: a small library (authors, books, reviews, loans).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "db/scratch_database.hpp"
#include "duet/db.hpp"

namespace blog {

using namespace duet::db;

struct Publisher : Model<Publisher> {
  CharField name;
  static void meta(Meta<Publisher>& m) {
    m.app_label("blog");
    m.field(&Publisher::name, "name").max_length(50);
  }
};

struct Author : Model<Author> {
  CharField name;
  IntegerField age;
  TextField bio;
  ForeignKey<Publisher> publisher;
  static void meta(Meta<Author>& m) {
    m.app_label("blog").ordering({"name"});
    m.field(&Author::name, "name").max_length(100).unique();
    m.field(&Author::age, "age").null();
    m.field(&Author::bio, "bio").blank().default_("");
    m.field(&Author::publisher, "publisher").null().on_delete(SET_NULL);
  }
};

struct Book : Model<Book> {
  CharField title;
  IntegerField pages;
  ForeignKey<Author> author;
  DateTimeField published;
  BooleanField in_print;
  FloatField rating;
  CharField status;
  DateTimeField created;
  static void meta(Meta<Book>& m) {
    m.app_label("blog");
    m.field(&Book::title, "title").max_length(200);
    m.field(&Book::pages, "pages").default_(0);
    m.field(&Book::author, "author").on_delete(CASCADE).related_name("books");
    m.field(&Book::published, "published").null();
    m.field(&Book::in_print, "in_print").default_(true);
    m.field(&Book::rating, "rating").null();
    m.field(&Book::status, "status")
        .max_length(1)
        .default_("d")
        .choices({{"d", "Draft"}, {"p", "Published"}});
    m.field(&Book::created, "created").auto_now_add();
  }
};

struct Review : Model<Review> {
  ForeignKey<Book> book;
  TextField text;
  IntegerField stars;
  static void meta(Meta<Review>& m) {
    m.app_label("blog");
    m.field(&Review::book, "book").on_delete(CASCADE);
    m.field(&Review::text, "text");
    m.field(&Review::stars, "stars").default_(3);
  }
};

/// A loan protects its book from deletion.
struct Loan : Model<Loan> {
  ForeignKey<Book> book;
  CharField borrower;
  static void meta(Meta<Loan>& m) {
    m.app_label("blog");
    m.field(&Loan::book, "book").on_delete(PROTECT);
    m.field(&Loan::borrower, "borrower").max_length(50);
  }
};

}  // namespace blog

namespace duet::db::testing {

/// Each test gets a fresh database file with these tables.
using DbTest = ScratchDatabaseTest<blog::Publisher, blog::Author, blog::Book, blog::Review, blog::Loan>;

}  // namespace duet::db::testing
