// The HTML report's port matrix (one row per requirement of the rule pack, one status per
// checked file and Windows profile) and its port pictures (segmented axes on which a
// single port is as visible as a range). Used by html_report.cpp only.
#pragma once

#include <map>
#include <string>

#include "report/report.h"

namespace fwm::html {

std::string esc(const std::string& s);

// What the matrix links to: the index of each file's source section (#src-N-LLINE).
using SourceIndex = std::map<std::string, std::size_t>;

// The legend, the status filter and the matrix; empty when the report has no axes.
std::string port_matrix_section(const Report& r, const SourceIndex& sources);

// Per file (and Windows profile) and protocol, the inbound ports on a segmented axis.
std::string port_picture_section(const Report& r);

// The page's style and script for these sections.
extern const char* const kMatrixStyle;
extern const char* const kMatrixScript;

}  // namespace fwm::html
