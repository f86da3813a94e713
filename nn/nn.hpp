// The nn front end in one include: modules, layers, the MLP builder, initializers and losses.
#pragma once

#include "nn/activation.hpp"
#include "nn/dropout.hpp"
#include "nn/embedding.hpp"
#include "nn/init.hpp"
#include "nn/linear.hpp"
#include "nn/loss.hpp"
#include "nn/mlp.hpp"
#include "nn/module.hpp"
#include "nn/sequential.hpp"
