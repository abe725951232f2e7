#include "worker_answers.h"

#include <nlohmann/json.hpp>

namespace ddump {
namespace {

using Json = nlohmann::json;

Error answerError(const char* what) {
  return makeError(ErrorCode::Http, what);
}

// allow_exceptions = false: malformed JSON is a discarded value, not a throw
// (nlohmann::json::parse). Its parser keeps its own stack, so nesting depth
// costs heap, not recursion.
Json parseJson(std::string_view body) {
  return Json::parse(body, nullptr, false);
}

// The member `key` of an object, or nullptr (operator[] on a const object
// with a missing key is undefined behaviour in nlohmann::json).
const Json* member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// For labels and messages: printable ASCII only, bounded.
std::string printableName(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= kMaxInterfaceNameBytes) {
      out += "...";
      break;
    }
    out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  }
  return out;
}

// A capture id as the X-Ddump-Capture-Id header would carry it: the string
// itself or the integer in decimal. Any other type has no header form.
std::optional<std::string> idText(const Json& id) {
  if (id.is_string()) return id.get<std::string>();
  if (id.is_number_unsigned()) return std::to_string(id.get<uint64_t>());
  if (id.is_number_integer()) return std::to_string(id.get<int64_t>());
  return std::nullopt;
}

}  // namespace

Result<std::map<uint32_t, std::string>> parseInterfaceNames(std::string_view body) {
  const Json json = parseJson(body);
  if (json.is_discarded()) return answerError("/interfaces answer is not JSON");
  if (!json.is_array()) return answerError("/interfaces answer is not a JSON array");
  std::map<uint32_t, std::string> names;
  size_t read = 0;
  for (const Json& item : json) {
    if (read++ == kMaxWorkerInterfaces) break;
    const Json* name = member(item, "name");
    const Json* index = member(item, "index");
    if (name == nullptr || !name->is_string() || index == nullptr || !index->is_number_unsigned() ||
        index->get<uint64_t>() > UINT32_MAX) {
      continue;
    }
    names.emplace(static_cast<uint32_t>(index->get<uint64_t>()),
                  printableName(name->get<std::string>()));
  }
  return names;
}

Result<std::optional<uint64_t>> parseKernelDrops(std::string_view body,
                                                 std::string_view captureId) {
  const Json json = parseJson(body);
  if (json.is_discarded()) return answerError("/stats answer is not JSON");
  const Json* captures = member(json, "captures");
  if (captures == nullptr || !captures->is_array()) {
    return answerError("/stats answer has no \"captures\" array");
  }
  std::optional<uint64_t> drops;
  for (const Json& capture : *captures) {
    const Json* id = member(capture, "id");
    const Json* kernelDrops = member(capture, "kernel_drops");
    if (id == nullptr || kernelDrops == nullptr || !kernelDrops->is_number_unsigned()) continue;
    if (idText(*id) == captureId) drops = kernelDrops->get<uint64_t>();
  }
  return drops;
}

}  // namespace ddump
