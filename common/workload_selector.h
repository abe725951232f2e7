#pragma once
// The pods a workload or a service selects, as a label selector: what
// `kubectl get pods -l` takes for the same pods as the object's
// spec.selector (https://kubernetes.io/docs/concepts/overview/
// working-with-objects/labels/#resources-that-support-set-based-requirements).

#include <string>
#include <string_view>

#include "result.h"

namespace ddump {

// One Deployment, StatefulSet, DaemonSet or ReplicaSet (spec.selector, a
// LabelSelector) or Service (spec.selector, a map) as `kubectl get -o json`
// prints it: matchLabels "k=v" in key order, then each matchExpression
// ("k in (a,b)", "k notin (a)", "k", "!k"), joined by ','. Every key and
// value is checked (k8s_names.h), so the text is plain. A service without
// a selector (its endpoints are kept by hand) and a workload with an empty
// one are errors: they name no pods. Untrusted text, read as k8s_answers.h
// reads it.
Result<std::string> selectorOf(std::string_view text);

}  // namespace ddump
