#pragma once
// Reading kubectl's JSON (k8s_answers, workload_selector): the answer parsed
// without exceptions and bounded, each field found by its path and
// type-checked before it is read, errors one line naming the field.
// Internal to common/: it includes nlohmann::json.

#include <exception>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ascii.h"
#include "k8s_names.h"
#include "result.h"

namespace ddump {

using Json = nlohmann::json;

// "kubectl WHAT: WHY".
Error kubectlError(std::string_view what, const std::string& why);

// The member `key` of an object, or nullptr (operator[] on a const object
// with a missing key is undefined behaviour in nlohmann::json).
const Json* member(const Json& object, const char* key);

// Reads the fields of one object by their paths ({"status", "podIP"}). An
// absent field or null is empty; a field of another type is this object's
// problem (the first one is kept), and reads as empty.
class Fields {
 public:
  explicit Fields(const Json& object) : object_(object) {}

  const Json* find(std::initializer_list<const char*> path) const {
    const Json* node = &object_;
    for (const char* key : path) {
      node = member(*node, key);
      if (node == nullptr || node->is_null()) return nullptr;
    }
    return node;
  }

  std::string text(std::initializer_list<const char*> path) {
    const Json* node = find(path);
    if (node == nullptr) return {};
    if (!node->is_string()) return wrongType(path, "a string");
    return node->get<std::string>();
  }

  bool flag(std::initializer_list<const char*> path) {
    const Json* node = find(path);
    if (node == nullptr) return false;
    if (node->is_boolean()) return node->get<bool>();
    wrongType(path, "true or false");
    return false;
  }

  const Json* typed(std::initializer_list<const char*> path, bool array) {
    const Json* node = find(path);
    if (node == nullptr) return nullptr;
    if (array ? !node->is_array() : !node->is_object()) {
      wrongType(path, array ? "an array" : "an object");
      return nullptr;
    }
    return node;
  }

  const std::optional<std::string>& problem() const { return problem_; }

 private:
  std::string wrongType(std::initializer_list<const char*> path, const char* expected) {
    // Only the first problem is told: it names the field to look at.
    if (!problem_) {
      std::string name;
      for (const char* key : path) {
        if (!name.empty()) name += '.';
        name += key;
      }
      problem_ = name + " is not " + expected;
    }
    return {};
  }

  const Json& object_;
  std::optional<std::string> problem_;
};

// The JSON object of an answer; false with `error` set when it is larger
// than kMaxKubectlAnswerBytes, not JSON or not an object.
bool parseAnswer(std::string_view text, std::string_view what, Json& json,
                 std::optional<Error>& error);

// The objects of a List ("items") or the one object, each of `kind` (an
// object that does not say its kind is taken as one); else what is wrong.
std::optional<std::string> objectsOf(const Json& json, const char* kind,
                                     std::vector<const Json*>& objects);

// metadata.name (required, a DNS subdomain) and metadata.namespace (a DNS
// label when given) into `name` and `ns`; else what is wrong.
std::optional<std::string> readIdentity(Fields& fields, std::string& name, std::string& ns);

// Whatever escapes nlohmann::json (bad_alloc, a type_error a check above
// missed) becomes an error: no exception leaves these readers.
template <typename F>
auto guarded(std::string_view what, F read) -> decltype(read()) {
  try {
    return read();
  } catch (const std::exception& e) {
    return kubectlError(what, std::string("answer could not be read: ") + printableText(e.what()));
  }
}

}  // namespace ddump
