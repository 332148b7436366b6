// Migrations in one include (what a migration file includes): state, operations, Migration and its
// registration, the loader, recorder, executor, autodetector and writer.
#pragma once

#include "duet/db/migrations/autodetector.hpp"
#include "duet/db/migrations/executor.hpp"
#include "duet/db/migrations/loader.hpp"
#include "duet/db/migrations/migration.hpp"
#include "duet/db/migrations/operations.hpp"
#include "duet/db/migrations/recorder.hpp"
#include "duet/db/migrations/schema_editor.hpp"
#include "duet/db/migrations/state.hpp"
#include "duet/db/migrations/writer.hpp"
