// The database layer in one include: settings and connections, models, QuerySets, transactions, schema.
#pragma once

#include "duet/db/connection.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/models.hpp"
#include "duet/db/schema.hpp"
#include "duet/db/settings.hpp"
#include "duet/db/transaction.hpp"
#include "duet/db/value.hpp"
