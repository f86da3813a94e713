// SmallGemmGuard (autograd/xt.hpp): small GEMMs run on one OpenBLAS thread, the thread count comes back after, and
// a product computed under it equals the one computed with every thread.
#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"

extern "C" void openblas_set_num_threads(int num_threads);
extern "C" int openblas_get_num_threads(void);

namespace dg {
namespace {

struct BlasThreads : ::testing::Test {
    int saved = openblas_get_num_threads();
    void SetUp() override { openblas_set_num_threads(2); }
    void TearDown() override { openblas_set_num_threads(saved); }
};

TEST_F(BlasThreads, ASmallGemmRunsOnOneThreadAndTheCountComesBack) {
    ASSERT_EQ(openblas_get_num_threads(), 2);
    {
        SmallGemmGuard guard(16, 100, 784);  // 1.25 M multiply-adds: small
        EXPECT_EQ(openblas_get_num_threads(), 1);
    }
    EXPECT_EQ(openblas_get_num_threads(), 2);
}

TEST_F(BlasThreads, ALargeGemmKeepsEveryThread) {
    SmallGemmGuard guard(1024, 100, 784);  // 80 M multiply-adds
    EXPECT_EQ(openblas_get_num_threads(), 2);
}

TEST_F(BlasThreads, HugeExtentsDoNotOverflowIntoSmall) {
    const std::size_t big = std::size_t(1) << 40;
    SmallGemmGuard guard(big, big, big);  // m·n·k overflows 64 bits: still large
    EXPECT_EQ(openblas_get_num_threads(), 2);
}

TEST_F(BlasThreads, ProductsAgreeAcrossTheThreshold) {
    Generator gen(3);
    for (std::size_t m : {4, 300}) {  // below and above the threshold with k = n = 200
        const Tensord a = Tensord::randn({m, 200}, gen), b = Tensord::randn({200, 200}, gen);
        const Tensord c = matmul(a, b);
        Array<double> expect = Array<double>::from_shape({m, 200});
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < 200; ++j) {
                double s = 0;
                for (std::size_t l = 0; l < 200; ++l) s += a.value()(i, l) * b.value()(l, j);
                expect(i, j) = s;
            }
        EXPECT_TRUE(test::all_close(c.value(), expect, 1e-10, 1e-10)) << "m = " << m;
        EXPECT_EQ(openblas_get_num_threads(), 2);
    }
}

}  // namespace
}  // namespace dg
