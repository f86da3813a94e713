// Renders and writes the self-contained pages; previews of big tensors for their data.
#include "common/html_page.hpp"

#include <algorithm>
#include <cmath>

#include "autograd/array/errors.hpp"
#include "nn/data/atomic_file.hpp"

namespace dg::examples {

namespace {

std::string escape_text(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '&') out += "&amp;";
        else out += c;
    }
    return out;
}

// JSON inside <script>: '<' only occurs in strings, where \u003c means the same and cannot close the tag.
std::string inline_json(const nlohmann::json& data) {
    const std::string text = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '<') out += "\\u003c";
        else out += c;
    }
    return out;
}

}  // namespace

std::string render_html(const HtmlPage& page) {
    std::string styles, scripts;
    for (const std::string& name : page.assets) {
        const auto it = web_assets().find(name);
        if (it == web_assets().end())
            throw ValueError("render_html: no asset named \"" + name + "\" was embedded from examples/web/");
        const bool css = name.size() > 4 && name.compare(name.size() - 4, 4, ".css") == 0;
        (css ? styles : scripts) += (css ? "<style>\n" : "<script>\n") + it->second + (css ? "</style>\n" : "</script>\n");
    }
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
           escape_text(page.title) + "</title>\n" + styles + "</head>\n<body>\n<noscript>This page draws itself with "
           "JavaScript; its data is in the page-data script element.</noscript>\n<main id=\"app\"></main>\n"
           "<script type=\"application/json\" id=\"page-data\">" + inline_json(page.data) + "</script>\n" + scripts +
           "</body>\n</html>\n";
}

void write_html(const std::string& path, const HtmlPage& page, const std::string& who) {
    data::AtomicFile file(path, who);
    file.write(render_html(page));
    file.commit();
}

nlohmann::json preview_json(const std::vector<double>& values, const std::vector<std::size_t>& shape,
                            std::size_t max_rows, std::size_t max_cols) {
    const std::size_t cols = shape.empty() ? 1 : shape.back();
    const std::size_t rows = cols ? values.size() / cols : 0;
    double sq = 0, lo = INFINITY, hi = -INFINITY;
    for (double v : values) {
        sq += v * v;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    nlohmann::json grid = nlohmann::json::array();
    for (std::size_t r = 0; r < std::min(rows, max_rows); ++r) {
        nlohmann::json row = nlohmann::json::array();
        for (std::size_t c = 0; c < std::min(cols, max_cols); ++c) row.push_back(values[r * cols + c]);
        grid.push_back(row);
    }
    return {{"shape", shape},
            {"rows", grid},
            {"more_rows", rows > max_rows ? rows - max_rows : 0},
            {"more_cols", cols > max_cols ? cols - max_cols : 0},
            {"norm", std::sqrt(sq)},
            {"min", values.empty() ? 0.0 : lo},
            {"max", values.empty() ? 0.0 : hi}};
}

}  // namespace dg::examples
