// Graphviz export: the DOT text of a small graph (nodes, labels, edges, the parameter / leaf / constant
// styles, values and gradients as grids, every node's gradient from a backward trace), a 10^5-deep chain without
// recursion, and rendering (an MLP's graph fits a slide).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "autograd/inspect/graphviz.hpp"
#include "autograd/inspect/trace.hpp"
#include "autograd/ops.hpp"
#include "support/expect_throw.hpp"

using namespace dg;

namespace {

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
    return n;
}

// The DOT line of the one node whose label contains `fragment`, and its id ("n3").
std::string line_with(const std::string& dot, const std::string& fragment) {
    std::istringstream in(dot);
    std::string line, found;
    int hits = 0;
    while (std::getline(in, line))
        if (line.find(fragment) != std::string::npos && line.find("->") == std::string::npos) found = line, ++hits;
    EXPECT_EQ(hits, 1) << "nodes with '" << fragment << "' in\n" << dot;
    return found;
}
std::string id_of(const std::string& dot, const std::string& fragment) {
    const std::string line = line_with(dot, fragment);
    return line.substr(2, line.find(' ', 2) - 2);
}

// A value cell and a gradient cell of a grid, as to_dot writes them.
std::string cell(const std::string& v) { return "<td><font color=\"#000000\">" + v + "</font></td>"; }
std::string grad_cell(const std::string& v) { return "<td><font color=\"#b22222\">" + v + "</font></td>"; }

// A PNG's width and height, from its IHDR chunk (big-endian at bytes 16 and 20).
std::pair<unsigned, unsigned> png_size(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    unsigned char h[24] = {};
    f.read(reinterpret_cast<char*>(h), 24);
    const auto be = [&](int i) { return unsigned(h[i]) << 24 | unsigned(h[i + 1]) << 16 | unsigned(h[i + 2]) << 8 | h[i + 3]; };
    return {be(16), be(20)};
}

struct Small {
    Tensord w = Tensord::scalar(0.5, true).set_label("w");  // parameter
    Tensord x = Tensord::scalar(2.0).set_label("x");        // input leaf
    Tensord c = Tensord::scalar(0.25);                      // constant (unlabeled, no grad)
    Tensord y;
    Small() { y = tanh(w * x + c).set_label("out"); }
};

}  // namespace

TEST(Graphviz, SmallGraphHasItsNodesLabelsAndEdges) {
    Small g;
    const std::string dot = to_dot(g.y);
    EXPECT_EQ(dot.rfind("digraph deltagrad {\n", 0), 0u);
    EXPECT_EQ(dot.substr(dot.size() - 2), "}\n");
    // 6 nodes (tanh, add, mul, w, x, c), 5 edges.
    EXPECT_EQ(count(dot, "label=<"), 6u);
    EXPECT_EQ(count(dot, "->"), 5u);
    const std::string tanh_id = id_of(dot, "<b>tanh</b> <i>out</i>");
    EXPECT_EQ(tanh_id, "n0");  // the root comes first
    const std::string add_id = id_of(dot, "<b>add</b>");
    const std::string mul_id = id_of(dot, "<b>mul</b>");
    const std::string w_id = id_of(dot, "<b>w</b>");  // its kind is its style (tooltip "parameter")
    const std::string x_id = id_of(dot, "<b>x</b>");
    const std::string c_id = id_of(dot, "<b>constant</b>");
    // Edges run from inputs to the op, numbered by argument position for binary ops.
    EXPECT_NE(dot.find("  " + w_id + " -> " + mul_id + " [label=\" 0\"];"), std::string::npos) << dot;
    EXPECT_NE(dot.find("  " + x_id + " -> " + mul_id + " [label=\" 1\"];"), std::string::npos) << dot;
    EXPECT_NE(dot.find("  " + mul_id + " -> " + add_id + " [label=\" 0\"];"), std::string::npos) << dot;
    EXPECT_NE(dot.find("  " + c_id + " -> " + add_id + " [label=\" 1\"];"), std::string::npos) << dot;
    EXPECT_NE(dot.find("  " + add_id + " -> " + tanh_id + ";"), std::string::npos) << dot;
    // Shapes and values, one cell for a 0-d tensor: tanh(0.5·2 + 0.25) = tanh(1.25) = 0.848.
    EXPECT_EQ(line_with(dot, "<b>tanh</b>").find("[]"), std::string::npos);  // a 0-d tensor: no shape text
    EXPECT_NE(line_with(dot, "<b>tanh</b>").find(cell("0.848")), std::string::npos);
    EXPECT_NE(line_with(dot, "<b>mul</b>").find(cell("1")), std::string::npos);
    // No gradient before backward (and the legend does not mention one).
    EXPECT_EQ(dot.find("#b22222"), std::string::npos);
    EXPECT_EQ(dot.find("red: gradient"), std::string::npos);
}

TEST(Graphviz, ParameterLeafConstantAndOpStyles) {
    Small g;
    EXPECT_EQ(dot_node_kind(g.w), DotNodeKind::parameter);
    EXPECT_EQ(dot_node_kind(g.x), DotNodeKind::leaf);
    EXPECT_EQ(dot_node_kind(g.c), DotNodeKind::constant);
    EXPECT_EQ(dot_node_kind(g.y), DotNodeKind::op);
    const std::string dot = to_dot(g.y);
    const std::string w = line_with(dot, "<b>w</b>"), x = line_with(dot, "<b>x</b>"),
                      c = line_with(dot, "<b>constant</b>"), add = line_with(dot, "<b>add</b>"),
                      root = line_with(dot, "<b>tanh</b>");
    EXPECT_NE(w.find("shape=box, style=filled, fillcolor=\"#cfe2ff\", penwidth=2, tooltip=\"parameter\""), std::string::npos) << w;
    EXPECT_NE(x.find("shape=ellipse, style=filled, fillcolor=\"#d4edda\", tooltip=\"leaf\""), std::string::npos) << x;
    EXPECT_NE(c.find("shape=ellipse, style=dashed, color=\"#888888\", fontcolor=\"#555555\", tooltip=\"constant\""), std::string::npos) << c;
    EXPECT_NE(add.find("style=\"rounded,filled\", fillcolor=\"#eeeeee\", tooltip=\"op\""), std::string::npos) << add;
    EXPECT_NE(root.find("fillcolor=\"#fff3cd\""), std::string::npos) << root;  // the root is highlighted
    // Four distinct styles.
    std::set<std::string> styles;
    for (const auto& l : {w, x, c, add}) styles.insert(l.substr(l.find('['), l.find("tooltip") - l.find('[')));
    EXPECT_EQ(styles.size(), 4u);
}

TEST(Graphviz, GradientsAfterARetainedBackward) {
    Small g;
    Tensord z = g.w * g.x;
    z.retain_grad();
    Tensord l = tanh(z).set_label("l");
    l.backward(/*retain_graph=*/true);
    const std::string dot = to_dot(l);
    // dl/dw = (1 - tanh²(1))·x = 0.41997·2 = 0.84; dl/dz = 0.42.
    EXPECT_NE(line_with(dot, "<b>w</b>").find(grad_cell("0.84")), std::string::npos) << dot;
    EXPECT_NE(line_with(dot, "<b>mul</b>").find(grad_cell("0.42")), std::string::npos) << dot;
    EXPECT_EQ(line_with(dot, "<b>tanh</b>").find("#b22222"), std::string::npos);  // not retained, no trace
    EXPECT_EQ(line_with(dot, "<b>x</b>").find("#b22222"), std::string::npos);  // no gradient for an input
    EXPECT_EQ(count(dot, "->"), 3u);  // the graph is still there
    EXPECT_EQ(dot.find("freed"), std::string::npos);
}

TEST(Graphviz, PlainBackwardLeavesOnlyTheFreedRoot) {
    Small g;
    g.y.backward();
    const std::string dot = to_dot(g.y);
    EXPECT_EQ(count(dot, "label=<"), 1u);
    EXPECT_EQ(count(dot, "->"), 0u);
    EXPECT_NE(dot.find("graph freed by backward"), std::string::npos);
    EXPECT_NE(dot.find("style=\"rounded,filled,dashed\""), std::string::npos);
}

TEST(Graphviz, SharedInputsAppearOnceWithAnEdgePerUse) {
    Tensord a = Tensord::scalar(3.0, true).set_label("a");
    Tensord y = a * a + a;  // a feeds mul twice and add once
    const std::string dot = to_dot(y);
    EXPECT_EQ(count(dot, "label=<"), 3u);
    const std::string a_id = id_of(dot, "<b>a</b>"), mul_id = id_of(dot, "<b>mul</b>");
    EXPECT_EQ(count(dot, a_id + " -> "), 3u);
    EXPECT_EQ(count(dot, a_id + " -> " + mul_id), 2u);
}

TEST(Graphviz, OptionsAndEscaping) {
    Tensord v({1.0, 2.0, 3.0, 4.0, 5.0}, true);
    v.set_label("a<b & \"c\"");
    DotOptions o;
    o.title = "my \"graph\"";
    o.max_cols = 2;
    o.rankdir = "TB";
    const std::string dot = to_dot(sum(v), o);
    EXPECT_NE(dot.find("<b>a&lt;b &amp; &quot;c&quot;</b>"), std::string::npos) << dot;
    EXPECT_NE(dot.find("label=\"my \\\"graph\\\"\\nblue: parameters"), std::string::npos) << dot;  // title, legend
    EXPECT_NE(dot.find("rankdir=TB"), std::string::npos);
    // The vector [1, 2, 3, 4, 5] as one row cut after 2 cells.
    EXPECT_NE(dot.find("<tr>" + cell("1") + cell("2") + "<td>…</td></tr>"), std::string::npos) << dot;
    o.values = false;
    EXPECT_EQ(to_dot(sum(v), o).find(cell("1")), std::string::npos);
}

TEST(Graphviz, MatricesAreGridsCutToMaxRowsAndCols) {
    Tensord m({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    const std::string dot = to_dot(m.set_label("M"));
    // Two rows of three cells, in order.
    EXPECT_NE(dot.find("<tr>" + cell("1") + cell("2") + cell("3") + "</tr><tr>" + cell("4") + cell("5") + cell("6") +
                       "</tr></table>"),
              std::string::npos)
        << dot;
    EXPECT_NE(dot.find("color=\"#555555\">[2, 3]</font>"), std::string::npos);
    // 6 × 6 shows 4 × 4, a "…" column and a "⋮" row across the 5 columns; a 3-d tensor is its [size/last, last].
    const std::string big = to_dot(Tensord::ones({6, 6}).set_label("B"));
    EXPECT_EQ(count(big, "<td><font"), 16u);
    EXPECT_EQ(count(big, "<td>…</td>"), 4u);
    EXPECT_EQ(count(big, "<td colspan=\"5\">⋮</td>"), 1u);
    const std::string cube = to_dot(Tensord::ones({2, 3, 2}).set_label("C"));
    EXPECT_EQ(count(cube, "<td><font"), 8u);  // 4 of its 6 rows of 2
    EXPECT_EQ(count(cube, "⋮"), 1u);
}

TEST(Graphviz, ATraceGivesEveryOpNodeItsGradient) {
    // y = tanh(w·x + c): with the trace of a retained backward, the three op nodes show the gradient that
    // reached them (tanh 1, add and mul 1 − tanh²(1.25) = 0.28), the parameter its .grad, the input none.
    Small g;
    BackwardTrace<double> trace;
    {
        ObserverGuard<double> guard(trace);
        g.y.backward(/*retain_graph=*/true);
    }
    const std::string with = to_dot(g.y, {}, &trace), without = to_dot(g.y);
    EXPECT_NE(line_with(with, "<b>tanh</b>").find(grad_cell("1")), std::string::npos) << with;
    EXPECT_NE(line_with(with, "<b>add</b>").find(grad_cell("0.28")), std::string::npos) << with;
    EXPECT_NE(line_with(with, "<b>mul</b>").find(grad_cell("0.28")), std::string::npos) << with;
    EXPECT_NE(line_with(with, "<b>w</b>").find(grad_cell("0.561")), std::string::npos) << with;  // 0.2804 · x
    EXPECT_EQ(line_with(with, "<b>x</b>").find("#b22222"), std::string::npos);
    EXPECT_EQ(count(with, "<td><font color=\"#b22222\">"), 4u);
    EXPECT_EQ(count(without, "<td><font color=\"#b22222\">"), 1u);  // the parameter's .grad only
    EXPECT_NE(with.find("red: gradient ∂output/∂node"), std::string::npos);  // the legend says what red is
}

TEST(Graphviz, AnMlpGraphFitsASlide) {
    // The 2-2-1 sigmoid MLP on one sample, as matrices, with every gradient, fits a 1280 × 720 slide unscaled
    // (its 14 nodes in 9 ranks measured 1213 × 400; the one-line previews of before drew it 1676 wide).
    if (!graphviz_available()) GTEST_SKIP() << "graphviz is not installed";
    const Tensord x = Tensord({{0.0, 1.0}}).set_label("X"), y = Tensord::full({1, 1}, 1.0).set_label("Y");
    const Tensord W1 = Tensord({{0.15, -0.25}, {0.35, 0.45}}, true).set_label("W1");
    const Tensord b1 = Tensord({0.1, -0.2}, true).set_label("b1");
    const Tensord W2 = Tensord({{0.6, -0.4}}, true).set_label("W2");
    const Tensord b2 = Tensord({0.05}, true).set_label("b2");
    const Tensord d = sigmoid(linear(sigmoid(linear(x, W1, b1)), W2, b2)) - y;
    const Tensord loss = (0.5 * sum(d * d)).set_label("loss");
    BackwardTrace<double> trace;
    {
        ObserverGuard<double> guard(trace);
        loss.backward(/*retain_graph=*/true);
    }
    const auto dir = std::filesystem::path(DG_BINARY_DIR) / "graphviz_test";
    std::filesystem::create_directories(dir);
    DotOptions o;
    o.title = "2-2-1 sigmoid MLP, one sample";
    write_graph(loss, (dir / "mlp").string(), {"png"}, o, nullptr, &trace);
    const auto [width, height] = png_size((dir / "mlp.png").string());
    EXPECT_GT(width, 200u);
    EXPECT_LE(width, 1280u);
    EXPECT_LE(height, 720u);
}

TEST(Graphviz, DeepChainExportsWithoutRecursion) {
    // 10^5 ops: a recursive walk would need 10^5 stack frames.
    constexpr std::size_t depth = 100000;
    Tensord x = Tensord::scalar(1.0, true).set_label("x");
    Tensord y = x;
    for (std::size_t i = 0; i < depth; ++i) y = y * 1.0;
    DotOptions o;
    o.values = false;
    const std::string dot = to_dot(y, o);
    EXPECT_EQ(count(dot, "->"), depth);
    EXPECT_EQ(count(dot, "<b>mul_scalar</b>"), depth);
    EXPECT_NE(dot.find("n100000 [shape=box, style=filled"), std::string::npos);  // x, discovered last
}

TEST(Graphviz, RendersPngAndSvgOrSaysGraphvizIsMissing) {
    Small g;
    const auto dir = std::filesystem::path(DG_BINARY_DIR) / "graphviz_test";
    std::filesystem::create_directories(dir);
    const std::string base = (dir / "small").string();
    std::string note;
    const auto files = write_graph(g.y, base, {"png", "svg"}, {}, &note);
    std::ifstream dotf(base + ".dot");
    std::stringstream text;
    text << dotf.rdbuf();
    EXPECT_EQ(text.str(), to_dot(g.y));
    if (graphviz_available()) {
        ASSERT_EQ(files.size(), 3u);
        EXPECT_TRUE(note.empty());
        std::ifstream png(base + ".png", std::ios::binary);
        char magic[8] = {};
        png.read(magic, 8);
        EXPECT_EQ(std::string(magic + 1, 3), "PNG");
        std::ifstream svg(base + ".svg");
        std::stringstream s;
        s << svg.rdbuf();
        EXPECT_NE(s.str().find("<svg"), std::string::npos);
        EXPECT_NE(s.str().find("tanh"), std::string::npos);
    } else {
        EXPECT_EQ(files.size(), 1u);
        EXPECT_NE(note.find("not installed"), std::string::npos);
        EXPECT_TRUE(test::throws_with<IoError>([&] { render_dot(base + ".dot", base + ".png"); },
                                               {"`dot`", "not found", "install graphviz"}));
    }
}

TEST(Graphviz, RenderErrorsSayWhatIsWrong) {
    EXPECT_TRUE(test::throws_with<ValueError>([] { render_dot("g.dot", "g.jpeg2000"); }, {"format", "g.jpeg2000"}));
    if (graphviz_available()) {
        const auto dir = std::filesystem::path(DG_BINARY_DIR) / "graphviz_test";
        std::filesystem::create_directories(dir);
        write_text_file((dir / "bad.dot").string(), "digraph { this is not dot");
        EXPECT_TRUE(test::throws_with<IoError>([&] { render_dot((dir / "bad.dot").string(), (dir / "bad.svg").string()); },
                                               {"failed", "bad.dot"}));
    }
    EXPECT_TRUE(test::throws_with<IoError>([] { write_text_file("/nonexistent/dir/g.dot", "x"); }, {"/nonexistent/dir/g.dot"}));
}
