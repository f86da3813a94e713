// Everything of deltagrad::optim in one include: optimizers, learning-rate schedules, gradient clipping.
#pragma once

#include "nn/optim/adagrad.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/clip.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/rmsprop.hpp"
#include "nn/optim/schedule.hpp"
#include "nn/optim/sgd.hpp"
