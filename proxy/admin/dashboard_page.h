#pragma once
// The dashboard at GET / on the admin listener: one self-contained page (markup, style and
// script inline, nothing fetched from elsewhere) that polls /dashboard.json every 2 s.

#include <string_view>

namespace causeway::admin {

std::string_view dashboard_page();

}  // namespace causeway::admin
