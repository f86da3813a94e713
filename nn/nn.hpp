// The nn front end in one include: modules, layers, the MLP builder, initializers and losses.
#pragma once

#include "nn/layers/activation.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/embedding.hpp"
#include "nn/init.hpp"
#include "nn/layers/linear.hpp"
#include "nn/loss.hpp"
#include "nn/layers/mlp.hpp"
#include "nn/module.hpp"
#include "nn/layers/sequential.hpp"
