// Links deltagrad::distributed from the installed package. Started without arguments it only checks that it links and
// starts; with an argument it opens an MPI session (a one-process job) and exits with its rank.
#include <deltagrad/nn/distributed/distributed.hpp>

int main(int argc, char** argv) {
    if (argc < 2) return 0;
    dg::dist::Environment env(&argc, &argv);
    return env.rank();
}
