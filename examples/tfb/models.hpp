// The two tables of TechEmpower's benchmark, as their create scripts define them: World(id, randomNumber)
// and Fortune(id, message). Unquoted identifiers in those scripts fold to lower case, hence the names.
#pragma once

#include <duet/db.hpp>

namespace tfb {

struct World : duet::db::Model<World> {
  duet::db::IntegerField randomNumber;
  static void meta(duet::db::Meta<World>& m) {
    m.db_table("world");
    m.field(&World::randomNumber, "randomNumber").db_column("randomnumber").default_(0);
  }
};

struct Fortune : duet::db::Model<Fortune> {
  duet::db::CharField message;
  static void meta(duet::db::Meta<Fortune>& m) {
    m.db_table("fortune");
    m.field(&Fortune::message, "message").max_length(2048);
  }
};

}  // namespace tfb
