#include <array>
#include <utility>

#include <runjournal/run.hpp>

namespace runjournal {
namespace {

// The one table of status names; runs.status holds exactly these strings
// (the CHECK constraint in migrations/0001_core.sql lists the same eight).
constexpr std::array<std::pair<RunStatus, std::string_view>, 8> kStatusNames{{
    {RunStatus::Created, "created"},
    {RunStatus::Planning, "planning"},
    {RunStatus::Executing, "executing"},
    {RunStatus::Verifying, "verifying"},
    {RunStatus::Interrupted, "interrupted"},
    {RunStatus::Completed, "completed"},
    {RunStatus::Failed, "failed"},
    {RunStatus::Cancelled, "cancelled"},
}};

}  // namespace

std::string_view to_string(RunStatus status) noexcept {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "unknown";
}

std::optional<RunStatus> parse_run_status(std::string_view text) noexcept {
  for (const auto& [value, name] : kStatusNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace runjournal
