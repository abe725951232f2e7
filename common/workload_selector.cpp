#include "workload_selector.h"

#include <algorithm>
#include <iterator>
#include <vector>

#include "k8s_json.h"
#include "k8s_names.h"

namespace ddump {
namespace {

// matchLabels or a Service's selector: "k=v" for each entry, in key order
// (nlohmann::json keeps an object's keys sorted), keys and values checked.
std::optional<std::string> appendLabels(const Json& labels, const char* field,
                                        std::vector<std::string>& out) {
  for (const auto& [key, value] : labels.items()) {
    if (!value.is_string()) {
      return std::string(field) + "." + printableText(key) + " is not a string";
    }
    const std::string text = value.get<std::string>();
    if (auto problem = labelKeyProblem(key)) return std::string(field) + ": " + *problem;
    if (auto problem = labelValueProblem(text)) return std::string(field) + ": " + *problem;
    out.push_back(key + "=" + text);
  }
  return std::nullopt;
}

// One metav1.LabelSelectorRequirement as selector text: In and NotIn need
// values, Exists and DoesNotExist have none (the API's own validation,
// ValidateLabelSelectorRequirement).
std::optional<std::string> appendExpression(const Json& expression, size_t i,
                                            std::vector<std::string>& out) {
  const std::string field = "spec.selector.matchExpressions[" + std::to_string(i) + "]";
  Fields fields(expression);
  const std::string key = fields.text({"key"});
  const std::string op = fields.text({"operator"});
  const Json* values = fields.typed({"values"}, true);
  if (fields.problem()) return field + "." + *fields.problem();
  if (auto problem = labelKeyProblem(key)) return field + ": " + *problem;
  std::string list;
  for (size_t v = 0; values != nullptr && v < values->size(); ++v) {
    const Json& value = (*values)[v];
    if (!value.is_string()) return field + ".values[" + std::to_string(v) + "] is not a string";
    if (auto problem = labelValueProblem(value.get<std::string>())) return field + ": " + *problem;
    if (v != 0) list += ',';
    list += value.get<std::string>();
  }
  const bool hasValues = values != nullptr && !values->empty();
  if (op == "In" || op == "NotIn") {
    if (!hasValues) return field + ": operator " + op + " without values";
    out.push_back(key + (op == "In" ? " in (" : " notin (") + list + ")");
  } else if (op == "Exists" || op == "DoesNotExist") {
    if (hasValues) return field + ": operator " + op + " with values";
    out.push_back(op == "Exists" ? key : "!" + key);
  } else {
    return field + ": unknown operator " + quotedText(op);
  }
  return std::nullopt;
}

// spec.selector of a workload (a LabelSelector) or a Service (a map).
std::optional<std::string> selectorParts(Fields& fields, bool service,
                                         std::vector<std::string>& parts) {
  const Json* selector = fields.typed({"spec", "selector"}, false);
  if (fields.problem() || selector == nullptr) return fields.problem();
  if (service) return appendLabels(*selector, "spec.selector", parts);
  Fields inner(*selector);
  const Json* labels = inner.typed({"matchLabels"}, false);
  const Json* expressions = inner.typed({"matchExpressions"}, true);
  if (inner.problem()) return "spec.selector." + *inner.problem();
  if (labels != nullptr) {
    if (auto problem = appendLabels(*labels, "spec.selector.matchLabels", parts)) return problem;
  }
  for (size_t i = 0; expressions != nullptr && i < expressions->size(); ++i) {
    if (auto problem = appendExpression((*expressions)[i], i, parts)) return problem;
  }
  return std::nullopt;
}
}  // namespace

Result<std::string> selectorOf(std::string_view text) {
  return guarded("workload", [&]() -> Result<std::string> {
    Json json;
    std::optional<Error> error;
    if (!parseAnswer(text, "workload", json, error)) return *error;
    Fields fields(json);
    const std::string kind = fields.text({"kind"});
    static constexpr const char* kWorkloads[] = {"Deployment", "StatefulSet", "DaemonSet",
                                                 "ReplicaSet"};
    const bool service = kind == "Service";
    if (!service &&
        std::find(std::begin(kWorkloads), std::end(kWorkloads), kind) == std::end(kWorkloads)) {
      return kubectlError("workload",
                          "answer is not a Deployment, StatefulSet, DaemonSet, "
                          "ReplicaSet or Service");
    }
    std::string name;
    std::string ns;
    if (auto problem = readIdentity(fields, name, ns)) return kubectlError("workload", *problem);
    const std::string context = kind + " " + quotedText(name);
    std::vector<std::string> parts;
    if (auto problem = selectorParts(fields, service, parts)) {
      return kubectlError("workload", context + ": " + *problem);
    }
    if (parts.empty()) {
      return kubectlError("workload", context + (service ? " has no selector (its endpoints are "
                                                           "kept by hand): name its pods instead"
                                                         : " has an empty selector"));
    }
    std::string selector;
    for (const std::string& part : parts) {
      if (!selector.empty()) selector += ',';
      selector += part;
    }
    if (auto problem = selectorProblem(selector)) {
      return kubectlError("workload", context + ": " + *problem);
    }
    return selector;
  });
}

}  // namespace ddump
