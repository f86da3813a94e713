// Graphviz export: the DOT text of a small graph (nodes, labels, edges, the parameter / leaf / constant
// styles, gradients after a retained backward), a 10^5-deep chain without recursion, and rendering.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "autograd/inspect/graphviz.hpp"
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
    const std::string w_id = id_of(dot, "<b>w</b> <i>parameter</i>");
    const std::string x_id = id_of(dot, "<b>x</b> <i>leaf</i>");
    const std::string c_id = id_of(dot, "<b>constant</b>");
    // Edges run from inputs to the op, numbered by argument position for binary ops.
    EXPECT_NE(dot.find("  " + w_id + " -> " + mul_id + " [label=\" 0\"];"), std::string::npos) << dot;
    EXPECT_NE(dot.find("  " + x_id + " -> " + mul_id + " [label=\" 1\"];"), std::string::npos) << dot;
    EXPECT_NE(dot.find("  " + mul_id + " -> " + add_id + " [label=\" 0\"];"), std::string::npos) << dot;
    EXPECT_NE(dot.find("  " + c_id + " -> " + add_id + " [label=\" 1\"];"), std::string::npos) << dot;
    EXPECT_NE(dot.find("  " + add_id + " -> " + tanh_id + ";"), std::string::npos) << dot;
    // Shapes and value previews: tanh(0.5·2 + 0.25) = tanh(1.25) = 0.8483.
    EXPECT_NE(line_with(dot, "<b>tanh</b>").find("[]<br/>value 0.8483"), std::string::npos);
    EXPECT_NE(line_with(dot, "<b>mul</b>").find("value 1>"), std::string::npos);
    // No gradient before backward.
    EXPECT_EQ(dot.find(">grad "), std::string::npos);
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
    // dl/dw = (1 - tanh²(1))·x = 0.41997·2 = 0.8399; dl/dz = 0.42.
    EXPECT_NE(line_with(dot, "<b>w</b>").find("<font color=\"#b22222\">grad 0.8399</font>"), std::string::npos) << dot;
    EXPECT_NE(line_with(dot, "<b>mul</b>").find("grad 0.42<"), std::string::npos) << dot;
    EXPECT_EQ(line_with(dot, "<b>x</b>").find("grad"), std::string::npos);  // no gradient for an input
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
    o.max_elements = 2;
    o.rankdir = "TB";
    const std::string dot = to_dot(sum(v), o);
    EXPECT_NE(dot.find("<b>a&lt;b &amp; &quot;c&quot;</b>"), std::string::npos) << dot;
    EXPECT_NE(dot.find("label=\"my \\\"graph\\\"\""), std::string::npos) << dot;
    EXPECT_NE(dot.find("rankdir=TB"), std::string::npos);
    EXPECT_NE(dot.find("value [1, 2, …] (5)"), std::string::npos) << dot;
    o.values = false;
    EXPECT_EQ(to_dot(sum(v), o).find("value"), std::string::npos);
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
