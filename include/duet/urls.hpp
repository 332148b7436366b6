// The urls layer in one include: path(), re_path(), include(), converters, resolve(), reverse().
#pragma once

#include "duet/urls/converters.hpp"
#include "duet/urls/resolvers.hpp"
