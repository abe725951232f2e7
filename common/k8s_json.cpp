#include "k8s_json.h"

#include "k8s_answers.h"
#include "k8s_names.h"

namespace ddump {

Error kubectlError(std::string_view what, const std::string& why) {
  return makeError(ErrorCode::InvalidArgument, "kubectl " + std::string(what) + ": " + why);
}

const Json* member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// allow_exceptions = false: a syntax error is a discarded value, not a
// throw; the parser keeps its own stack, so nesting costs heap, not recursion.
bool parseAnswer(std::string_view text, std::string_view what, Json& json,
                 std::optional<Error>& error) {
  if (text.size() > kMaxKubectlAnswerBytes) {
    error =
        kubectlError(what, "answer is " + std::to_string(text.size()) + " bytes, more than 64 MiB");
    return false;
  }
  json = Json::parse(text, nullptr, false);
  if (json.is_discarded()) error = kubectlError(what, "answer is not JSON");
  if (!error && !json.is_object()) error = kubectlError(what, "answer is not a JSON object");
  return !error;
}

std::optional<std::string> objectsOf(const Json& json, const char* kind,
                                     std::vector<const Json*>& objects) {
  const auto isKind = [kind](const Json& object) {
    const Json* k = member(object, "kind");
    return k == nullptr || (k->is_string() && k->get<std::string>() == kind);
  };
  const Json* items = member(json, "items");
  if (items == nullptr) {
    if (!isKind(json)) return "answer is not a " + std::string(kind) + " or a list of them";
    objects.push_back(&json);
    return std::nullopt;
  }
  if (!items->is_array()) return "items is not an array";
  for (size_t i = 0; i < items->size(); ++i) {
    const Json& item = (*items)[i];
    if (!item.is_object() || !isKind(item)) {
      return "items[" + std::to_string(i) + "] is not a " + std::string(kind);
    }
    objects.push_back(&item);
  }
  return std::nullopt;
}

std::optional<std::string> readIdentity(Fields& fields, std::string& name, std::string& ns) {
  name = fields.text({"metadata", "name"});
  ns = fields.text({"metadata", "namespace"});
  if (fields.problem()) return fields.problem();
  if (name.empty()) return std::string("no metadata.name");
  if (auto problem = dnsSubdomainProblem(name)) return "metadata." + *problem;
  if (auto problem = ns.empty() ? std::nullopt : dnsLabelProblem(ns)) return "metadata." + *problem;
  return std::nullopt;
}

}  // namespace ddump
