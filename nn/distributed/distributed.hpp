// deltagrad::distributed in one include: the MPI environment, the data-parallel wrapper and the sharded loader.
#pragma once

#include "nn/distributed/data_parallel.hpp"
#include "nn/distributed/environment.hpp"
#include "nn/distributed/sharded_loader.hpp"
#include "nn/distributed/watchdog.hpp"
