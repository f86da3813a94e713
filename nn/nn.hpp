// The nn front end in one include: modules, layers (dense, convolutional, normalization, recurrent), the MLP, CNN
// and recurrent builders, initializers and losses.
#pragma once

#include "nn/layers/activation.hpp"
#include "nn/layers/cnn.hpp"
#include "nn/layers/conv.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/embedding.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/init.hpp"
#include "nn/layers/linear.hpp"
#include "nn/loss.hpp"
#include "nn/layers/mlp.hpp"
#include "nn/layers/norm.hpp"
#include "nn/layers/pooling.hpp"
#include "nn/layers/recurrent.hpp"
#include "nn/layers/recurrent_net.hpp"
#include "nn/module.hpp"
#include "nn/layers/sequential.hpp"
