// EXPECT_THROW_MSG: asserts both the exception type and that what() contains each given fragment,
// so an error test fails when the right type carries the wrong (or an unhelpful) message.
#pragma once

#include <initializer_list>
#include <string>

#include <gtest/gtest.h>

namespace dg::test {

/// Runs `fn`; success iff it throws exactly an E (or subclass) whose what() contains every fragment.
template <class E, class Fn>
::testing::AssertionResult throws_with(Fn&& fn, std::initializer_list<const char*> fragments) {
    try {
        fn();
    } catch (const E& e) {
        const std::string what = e.what();
        for (const char* f : fragments)
            if (what.find(f) == std::string::npos)
                return ::testing::AssertionFailure() << "message \"" << what << "\" lacks \"" << f << "\"";
        return ::testing::AssertionSuccess();
    } catch (const std::exception& e) {
        return ::testing::AssertionFailure() << "threw another type: " << e.what();
    } catch (...) {
        return ::testing::AssertionFailure() << "threw a non-std exception";
    }
    return ::testing::AssertionFailure() << "did not throw";
}

}  // namespace dg::test

/// EXPECT_THROW_MSG(statement, ExceptionType, "fragment", ...): type and message content.
#define EXPECT_THROW_MSG(stmt, E, ...) \
    EXPECT_TRUE((::dg::test::throws_with<E>([&]() { (void)(stmt); }, {__VA_ARGS__})))
