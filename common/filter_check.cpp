#include "filter_check.h"

#include "filter_lexer.h"

namespace ddump {
namespace {

using K = FilterKeyword;
using T = FilterTokenKind;

// What libpcap would do with a bare name under the current qualifiers
// (grammar.y's `struct qual`, reduced to what matters here).
enum class NameMeaning {
  Resolved,  // host, net, gateway or no address qualifier: a name lookup
  Local,     // port, portrange, proto, protochain: services(5)/protocols(5)
};

bool isKeyword(const std::vector<FilterToken>& tokens, size_t i, FilterKeyword k) {
  return i < tokens.size() && tokens[i].kind == T::Keyword && tokens[i].keyword == k;
}

// True when the protocol keyword at i is the first part of a qualifier list
// (`tcp port 80`, `ip src foo`, `ip6 proto 17`) rather than a primitive alone.
bool startsQualifiers(const std::vector<FilterToken>& tokens, size_t i) {
  for (FilterKeyword k : {K::Direction, K::Host, K::Net, K::Gateway, K::Port, K::Proto}) {
    if (isKeyword(tokens, i + 1, k)) return true;
  }
  return false;
}

// Follows grammar.y's qualifier passing: a term's qualifiers are those of its
// head (`pqual dqual aqual`), a primitive such as `tcp`, `len > 5` or `vlan`
// has none (qerr), `( expr )` and `( id ... )` pass on what stood before the
// '(' (their `paren` symbol carries $<blk>0), and `and`, `or` and `not` pass
// on the term before them, which is what a bare name after them inherits.
// "None" is read as a host name: libpcap either refuses it (a syntax error)
// or, had this model missed a qualifier, would resolve it.
class NameTracker {
 public:
  explicit NameTracker(const std::vector<FilterToken>& tokens) : tokens_(tokens) {}

  void run(FilterScan& scan) {
    for (size_t i = 0; i < tokens_.size(); ++i) step(i, scan);
  }

 private:
  void step(size_t i, FilterScan& scan) {
    const FilterToken& t = tokens_[i];
    const bool literal = literalNext_;
    literalNext_ = false;
    switch (t.kind) {
      case T::Name:
        if (!literal && meaning_ != NameMeaning::Local) scan.names.emplace_back(t.text);
        break;
      case T::Keyword:
        keyword(i);
        break;
      case T::Punct:
        punct(t.text);
        break;
      case T::Number:
      case T::Address:
      case T::Error:
        break;  // a value under the current qualifiers, never looked up
    }
  }

  void keyword(size_t i) {
    switch (tokens_[i].keyword) {
      case K::Protocol:
        if (!startsQualifiers(tokens_, i)) meaning_ = NameMeaning::Resolved;
        break;
      case K::Direction:  // no address qualifier (yet): Q_DEFAULT, a host
      case K::Host:
      case K::Net:
      case K::Gateway:
      case K::Other:
        meaning_ = NameMeaning::Resolved;
        break;
      case K::Port:
      case K::Proto:
        meaning_ = NameMeaning::Local;
        break;
      case K::TakesWord:
        meaning_ = NameMeaning::Resolved;
        literalNext_ = true;
        break;
      case K::Mask:
      case K::And:
      case K::Or:
      case K::Not:
      case K::None:
        break;
    }
  }

  void punct(std::string_view p) {
    if (p == "(") {
      saved_.push_back(meaning_);
    } else if (p == ")") {
      if (!saved_.empty()) {
        meaning_ = saved_.back();
        saved_.pop_back();
      } else {
        meaning_ = NameMeaning::Resolved;
      }
    } else if (p != "!") {
      // Relations and arithmetic (`len > 5`, `tcp[13] & 2 != 0`): no qualifiers.
      meaning_ = NameMeaning::Resolved;
    }
  }

  const std::vector<FilterToken>& tokens_;
  NameMeaning meaning_ = NameMeaning::Resolved;  // grammar.y's `null` is qerr
  std::vector<NameMeaning> saved_;
  bool literalNext_ = false;
};

void scanStructure(const std::vector<FilterToken>& tokens, FilterScan& scan) {
  size_t depth = 0;
  for (const FilterToken& t : tokens) {
    if (t.kind == T::Error && !scan.badByte) scan.badByte = t.offset;
    if (t.kind == T::Keyword && (t.keyword == K::And || t.keyword == K::Or)) ++scan.primitives;
    if (t.kind != T::Punct) continue;
    if (t.text == "(") {
      ++depth;
      if (depth > scan.depth) scan.depth = depth;
    } else if (t.text == ")") {
      if (depth == 0) {
        if (!scan.strayClose) scan.strayClose = t.offset;
      } else {
        --depth;
      }
    }
  }
  scan.unclosed = depth;
  if (!tokens.empty()) ++scan.primitives;
}

std::string describeByte(std::string_view filter, size_t offset) {
  const auto c = static_cast<unsigned char>(filter[offset]);
  char text[8];
  if (c >= 0x20 && c < 0x7f) {
    text[0] = '\'';
    text[1] = static_cast<char>(c);
    text[2] = '\'';
    text[3] = '\0';
  } else {
    static const char* hex = "0123456789abcdef";
    text[0] = '\\';
    text[1] = 'x';
    text[2] = hex[c >> 4];
    text[3] = hex[c & 15];
    text[4] = '\0';
  }
  return std::string(text) + " at byte " + std::to_string(offset);
}

Error bad(const std::string& what) {
  return makeError(ErrorCode::InvalidArgument, "bad filter: " + what);
}

// A name in quotes, bounded and printable: it comes from the caller.
std::string quoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name.substr(0, 80)) {
    out += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
  }
  if (name.size() > 80) out += "...";
  out += '"';
  return out;
}

}  // namespace

FilterScan scanFilter(std::string_view filter) {
  FilterScan scan;
  const std::vector<FilterToken> tokens = lexFilter(filter);
  scanStructure(tokens, scan);
  NameTracker(tokens).run(scan);
  return scan;
}

Status checkFilterText(std::string_view filter, const FilterLimits& limits) {
  const FilterScan scan = scanFilter(filter);
  if (scan.badByte) {
    return bad("unexpected character " + describeByte(filter, *scan.badByte) +
               " (pcap-filter(7) has no such token)");
  }
  if (scan.strayClose) {
    return bad("unbalanced parentheses: ')' at byte " + std::to_string(*scan.strayClose) +
               " closes nothing");
  }
  if (scan.unclosed > 0) {
    return bad("unbalanced parentheses: " + std::to_string(scan.unclosed) + " '(' left open");
  }
  if (!limits.allowNames && !scan.names.empty()) {
    return bad(quoted(scan.names.front()) +
               " is a host or network name, and this worker resolves no names in filters "
               "(a lookup would leak the name and stall the capture): use an address, or "
               "start the worker with --filter-names resolve");
  }
  if (scan.primitives > limits.maxPrimitives) {
    return bad(std::to_string(scan.primitives) +
               " primitives joined by and/or, more than the limit of " +
               std::to_string(limits.maxPrimitives));
  }
  if (scan.depth > limits.maxDepth) {
    return bad("parentheses nested " + std::to_string(scan.depth) +
               " deep, more than the limit of " + std::to_string(limits.maxDepth));
  }
  return Status::success();
}

}  // namespace ddump
