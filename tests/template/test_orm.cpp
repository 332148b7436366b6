// Model instances and QuerySets in template contexts, against SQLite.
#include <gtest/gtest.h>

#include <duet/db.hpp>
#include <duet/template/engine.hpp>
#include <duet/template/orm.hpp>

#include <atomic>
#include <filesystem>
#include <functional>

namespace shelf {

using namespace duet::db;

struct Writer : Model<Writer> {
  CharField name;
  IntegerField born;
  static void meta(Meta<Writer>& m) {
    m.app_label("shelf").ordering({"name"});
    m.field(&Writer::name, "name").max_length(100);
    m.field(&Writer::born, "born").null();
  }
  std::string str() const { return name; }
};

struct Novel : Model<Novel> {
  CharField title;
  ForeignKey<Writer> writer;
  ForeignKey<Writer> editor;
  BooleanField in_print;
  CharField status;
  DateTimeField published;
  static void meta(Meta<Novel>& m) {
    m.app_label("shelf").ordering({"title"});
    m.field(&Novel::title, "title").max_length(200);
    m.field(&Novel::writer, "writer").on_delete(CASCADE);
    m.field(&Novel::editor, "editor").null().on_delete(SET_NULL).related_name("edited");
    m.field(&Novel::in_print, "in_print").default_(true);
    m.field(&Novel::status, "status")
        .max_length(1)
        .default_("d")
        .choices({{"d", "Draft"}, {"p", "Published"}});
    m.field(&Novel::published, "published").null();
  }
};

// Its key is deliberately not exposed to templates.
struct Note : Model<Note> {
  ForeignKey<Novel> novel;
  TextField text;
  static void meta(Meta<Note>& m) {
    m.app_label("shelf");
    m.field(&Note::novel, "novel").on_delete(CASCADE);
    m.field(&Note::text, "text");
  }
};

}  // namespace shelf

using namespace duet::templates;
using shelf::Novel;
using shelf::Writer;

namespace {

class OrmTemplateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("duet-tmpl-orm-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".sqlite3");
    std::filesystem::remove(path_);
    duet::db::DatabaseSettings s;
    s.name = path_.string();
    duet::db::configure({{"default", s}});
    duet::db::create_tables<Writer, Novel, shelf::Note>();

    ada.name = "Ada";
    ada.born = 1815;
    ada.save();
    bob.name = "Bob";
    bob.save();
    Novel n1;
    n1.title = "Engines";
    n1.writer = ada;
    n1.editor = bob;
    n1.status = "p";
    n1.published = duet::db::parse_datetime("2024-05-01 12:30:00");
    n1.save();
    Novel n2;
    n2.title = "Zebras";
    n2.writer = bob;
    n2.in_print = false;
    n2.save();
  }
  void TearDown() override {
    duet::db::connections.close_all();
    for (auto suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path_.string() + suffix);
  }
  std::string render(std::string_view source, Context ctx) { return engine.from_string(source)->render(ctx); }
  std::filesystem::path path_;
  Writer ada, bob;
  Engine engine;
};

}  // namespace

TEST_F(OrmTemplateTest, InstanceFieldsByName) {
  Novel n = Novel::objects().get("title", "Engines");
  EXPECT_EQ(render("{{ n.title }}|{{ n.pk }}|{{ n.id }}|{{ n.writer_id }}|{{ n.in_print }}|{{ n.status }}|"
                   "{{ n.get_status_display }}|{{ n.published|date:'Y-m-d H:i' }}|{{ n.nope }}",
                   {{"n", n}}),
            "Engines|1|1|1|True|p|Published|2024-05-01 12:30|");
  Writer w = Writer::objects().get("name", "Bob");
  EXPECT_EQ(render("{{ w }} {{ w.born }} {% if w.born is None %}unknown{% endif %}", {{"w", w}}),
            "Bob None unknown");
}

TEST_F(OrmTemplateTest, ForeignKeysAreFollowedInSyncRendering) {
  Novel n = Novel::objects().get("title", "Engines");
  EXPECT_EQ(render("{{ n.writer.name }} ({{ n.writer.born }}) ed. {{ n.editor }}", {{"n", n}}),
            "Ada (1815) ed. Bob");
  Novel z = Novel::objects().get("title", "Zebras");
  EXPECT_EQ(render("[{{ z.editor }}][{{ z.editor.name }}]", {{"z", z}}), "[None][]");
  // With select_related the related row comes from the same query.
  auto novels = Novel::objects().select_related({"writer"});
  EXPECT_EQ(
      render("{% for n in novels %}{{ n.title }}/{{ n.writer.name }};{% endfor %}", {{"novels", novels}}),
      "Engines/Ada;Zebras/Bob;");
}

TEST_F(OrmTemplateTest, QuerySetsAreEvaluatedOnce) {
  // `wipe` deletes every row between the two loops: the second loop and count still see the first
  // evaluation, as a Django QuerySet's result cache does.
  std::function<Value()> wipe = [] {
    Novel::objects().delete_();
    return Value("");
  };
  auto qs = Novel::objects().all();
  EXPECT_EQ(render("{% for n in qs %}{{ n.title }},{% endfor %}{{ wipe }}{% for n in qs.all %}{{ n.title }};"
                   "{% empty %}none{% endfor %}|{{ qs.count }}|{{ qs|length }}|{{ qs.first.title }}|"
                   "{{ qs.last }}|{% if qs %}yes{% endif %}|{{ qs.0.title }}",
                   {{"qs", qs}, {"wipe", wipe}}),
            "Engines,Zebras,Engines;Zebras;|2|2|Engines|Novel object (2)|yes|Engines");
  // A fresh QuerySet queries again.
  EXPECT_EQ(render("{% for n in qs %}x{% empty %}none{% endfor %}{% if not qs %}!{% endif %}{{ qs.first }}",
                   {{"qs", Novel::objects().all()}}),
            "none!None");
}

TEST_F(OrmTemplateTest, ListsOfInstancesAndFilteredQuerySets) {
  std::vector<Writer> writers = Writer::objects().list();
  EXPECT_EQ(render("{% for w in ws %}{{ w.name|upper }}{% if not forloop.last %}, {% endif %}{% endfor %}",
                   {{"ws", writers}}),
            "ADA, BOB");
  EXPECT_EQ(render("{{ qs|length }} {% for n in qs %}{{ n.title }}{% endfor %}",
                   {{"qs", Novel::objects().filter("in_print", true)}}),
            "1 Engines");
}

TEST_F(OrmTemplateTest, AnyKeyIsFollowedWithoutRegistration) {
  shelf::Note note;
  note.novel = Novel::objects().get("title", "Engines");
  note.text = "fine";
  note.save();
  shelf::Note loaded = shelf::Note::objects().get();
  EXPECT_EQ(render("{{ n.text }} {{ n.novel_id }}", {{"n", loaded}}), "fine 1");
  // Two keys deep, to a model the template never saw by type: Note -> Novel -> Writer.
  EXPECT_EQ(render("{{ n.novel.title }} by {{ n.novel.writer.name }}", {{"n", loaded}}), "Engines by Ada");
  EXPECT_EQ(render("{{ n.novel.writer }}", {{"n", loaded}}), "Ada");  // Writer::str(), reached untyped
}
