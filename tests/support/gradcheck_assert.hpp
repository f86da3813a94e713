// EXPECT_GRADCHECK / EXPECT_GRADGRADCHECK: run dg::gradcheck with default (strict) tolerances and print
// the report on failure.
#pragma once

#include <gtest/gtest.h>

#include "autograd/inspect/gradcheck.hpp"

#define EXPECT_GRADCHECK(fn, ...)                                            \
    do {                                                                     \
        const auto dg_report_ = ::dg::gradcheck((fn), {__VA_ARGS__});        \
        EXPECT_TRUE(dg_report_.ok) << dg_report_.str();                      \
        EXPECT_GT(dg_report_.checked, 0u);                                   \
    } while (0)

#define EXPECT_GRADGRADCHECK(fn, ...)                                        \
    do {                                                                     \
        const auto dg_report_ = ::dg::gradgradcheck((fn), {__VA_ARGS__});    \
        EXPECT_TRUE(dg_report_.ok) << dg_report_.str();                      \
        EXPECT_GT(dg_report_.checked, 0u);                                   \
    } while (0)
