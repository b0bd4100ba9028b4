// respool: a C++20 Redis client whose heart is a thread-safe connection pool.
// This umbrella header includes the whole public API.
#pragma once

#include "respool/batch.hpp"
#include "respool/client.hpp"
#include "respool/cluster.hpp"
#include "respool/convert.hpp"
#include "respool/encode.hpp"
#include "respool/error.hpp"
#include "respool/parser.hpp"
#include "respool/pool.hpp"
#include "respool/resp.hpp"
#include "respool/result.hpp"
#include "respool/scan.hpp"
#include "respool/script.hpp"
#include "respool/sentinel.hpp"
#include "respool/string_list.hpp"
#include "respool/subscriber.hpp"
#include "respool/transaction.hpp"
