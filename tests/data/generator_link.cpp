// Link shim: dg::Generator is declared in autograd/random.hpp but compiled into deltagrad_autograd, which
// test_data does not link (deltagrad_data must not depend on autograd). Until Generator moves to a target
// both libraries share, this test binary compiles its definitions once, here.
#include "autograd/random.cpp"
