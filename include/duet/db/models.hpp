// duet::db models: fields, Model<T>, Meta<T>, F/Q/aggregates and QuerySet<T> (django.db.models).
#pragma once

#include "duet/db/models/expressions.hpp"
#include "duet/db/models/fields.hpp"
#include "duet/db/models/foreign_key.hpp"
#include "duet/db/models/meta.hpp"
#include "duet/db/models/model.hpp"
#include "duet/db/models/query.hpp"
#include "duet/db/models/queryset.hpp"
