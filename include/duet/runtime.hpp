// The runtime layer in one include: tasks, loops, the sync/async adapters and their helpers.
#pragma once

#include "duet/runtime/async_to_sync.hpp"
#include "duet/runtime/context.hpp"
#include "duet/runtime/gather.hpp"
#include "duet/runtime/local.hpp"
#include "duet/runtime/runtime.hpp"
#include "duet/runtime/safety.hpp"
#include "duet/runtime/sync_to_async.hpp"
#include "duet/runtime/task.hpp"
#include "duet/runtime/timeout.hpp"
