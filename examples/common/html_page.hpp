// Self-contained HTML pages (train's report.html, bpcheck's explorer): the scripts and styles of examples/web/
// embedded at build time, the data as inline JSON, written atomically so that a reader never sees half a page.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dg::examples {

/// The files of examples/web/ by name ("page.css", "charts.js", ...), as they were at build time.
const std::map<std::string, std::string>& web_assets();

/// One page: the assets it inlines, in order, and its data, which the scripts read from
/// <script type="application/json" id="page-data">.
struct HtmlPage {
    std::string title;
    std::vector<std::string> assets;  ///< names in web_assets(): .css go into <style>, .js into <script>
    nlohmann::json data;
};

/// The page as HTML text. Throws ValueError naming an asset that web_assets() does not hold.
std::string render_html(const HtmlPage& page);

/// render_html(page) written to `path` atomically (a temporary file renamed over it); `who` prefixes errors.
void write_html(const std::string& path, const HtmlPage& page, const std::string& who);

/// The data of a [rows, cols] view of `values` (shape `shape`, a tensor of more dimensions seen as
/// [size / last, last]) for a page: {"shape", "rows": the first max_rows × max_cols values, "more_rows",
/// "more_cols", "norm" (Frobenius), "min", "max"}. Big tensors are previewed, never dumped whole.
nlohmann::json preview_json(const std::vector<double>& values, const std::vector<std::size_t>& shape,
                            std::size_t max_rows = 6, std::size_t max_cols = 6);

}  // namespace dg::examples
