#pragma once
// The syntax of Kubernetes names and label selectors, checked as the API
// server checks them (k8s.io/apimachinery/pkg/util/validation: IsDNS1123Label,
// IsDNS1123Subdomain, IsQualifiedName, IsValidLabelValue; the selector
// grammar of k8s.io/apimachinery/pkg/labels/selector.go, Parse), so that a
// mistyped target is one clear line from ddump instead of kubectl's error,
// and so that a name or selector read from the API (untrusted JSON) is known
// to be plain text before it reaches a kubectl argument or a message.
// https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
// https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
//
// Every function returns nullopt when the text is valid, else one line
// saying what is wrong (untrusted bytes shown printable and bounded).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ddump {

// RFC 1035 §2.3.4: 255 octets on the wire are 253 characters of text
// without the final dot; a label is at most 63 octets. Kubernetes applies
// the same bounds to its DNS-subdomain and DNS-label names.
inline constexpr size_t kMaxDnsNameBytes = 253;
inline constexpr size_t kMaxDnsLabelBytes = 63;
// A label key's name part and a label value (IsQualifiedName, IsValidLabelValue).
inline constexpr size_t kMaxLabelNameBytes = 63;
// Longer selectors are refused before they are read.
inline constexpr size_t kMaxSelectorBytes = 4096;

// Untrusted text for a message: in quotes, printable ASCII, at most 64 bytes
// of it (printableText, ascii.h).
std::string quotedText(std::string_view text);

// A namespace's name: an RFC 1123 label, [a-z0-9-], at most 63 bytes,
// starting and ending with a letter or digit.
std::optional<std::string> dnsLabelProblem(std::string_view name);

// An object's name (pods, workloads, services) and a label key's prefix:
// an RFC 1123 subdomain, [a-z0-9-.], at most 253 bytes, every part between
// dots starting and ending with a letter or digit.
std::optional<std::string> dnsSubdomainProblem(std::string_view name);

// [PREFIX/]NAME: PREFIX a subdomain, NAME 1-63 of [A-Za-z0-9._-] starting
// and ending with a letter or digit.
std::optional<std::string> labelKeyProblem(std::string_view key);

// Empty, or 1-63 of [A-Za-z0-9._-] starting and ending with a letter or digit.
std::optional<std::string> labelValueProblem(std::string_view value);

// One or more requirements joined by ',': KEY (exists), !KEY (does not
// exist), KEY=VALUE, KEY==VALUE, KEY!=VALUE, KEY in (V1,V2), KEY notin (V1),
// blanks allowed between tokens. The numeric "<" and ">" that the API's
// parser also reads are refused: the documented label selectors of pods
// and workloads have no such operators, and neither has ddump.
std::optional<std::string> selectorProblem(std::string_view selector);

}  // namespace ddump
