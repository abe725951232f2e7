#include "k8s_names.h"

#include <cstdio>
#include <utility>

#include "ascii.h"

namespace ddump {
namespace {

bool isLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool isAlnum(char c) {
  return isLowerAlnum(c) || (c >= 'A' && c <= 'Z');
}

// A byte for a message: the character itself when printable, else its value.
std::string byteText(char c) {
  if (c > 0x20 && c < 0x7f) return std::string("'") + c + "'";
  char hex[16];
  std::snprintf(hex, sizeof hex, "byte 0x%02x", static_cast<unsigned char>(c));
  return hex;
}

std::string tooLong(std::string_view what, std::string_view text, size_t limit) {
  return std::string(what) + " " + quotedText(text) + " is " + std::to_string(text.size()) +
         " bytes, longer than " + std::to_string(limit);
}

// RFC 1123 labels joined by dots (or one label when `dots` is false):
// [a-z0-9-], each starting and ending with a letter or digit.
std::optional<std::string> rfc1123Problem(std::string_view what, std::string_view name,
                                          size_t limit, bool dots) {
  if (name.empty()) return "empty " + std::string(what);
  if (name.size() > limit) return tooLong(what, name, limit);
  for (const char c : name) {
    if (!isLowerAlnum(c) && c != '-' && !(dots && c == '.')) {
      return std::string(what) + " " + quotedText(name) + " has the invalid character " +
             byteText(c) +
             (dots ? " (lowercase letters, digits, '-' and '.')"
                   : " (lowercase letters, digits and '-')");
    }
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const bool edge = i == 0 || i + 1 == name.size() || name[i - 1] == '.' || name[i + 1] == '.';
    if (edge && !isLowerAlnum(name[i])) {
      return std::string(what) + " " + quotedText(name) +
             " must start and end with a letter or digit" +
             (dots ? ", as must each part between dots" : "");
    }
  }
  return std::nullopt;
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] of at most 63 bytes, or empty
// when allowed (IsQualifiedName's name part, IsValidLabelValue).
std::optional<std::string> qualifiedNameProblem(std::string_view what, std::string_view name,
                                                bool emptyAllowed) {
  if (name.empty()) {
    return emptyAllowed ? std::nullopt : std::optional<std::string>("empty " + std::string(what));
  }
  if (name.size() > kMaxLabelNameBytes) return tooLong(what, name, kMaxLabelNameBytes);
  for (const char c : name) {
    if (!isAlnum(c) && c != '-' && c != '_' && c != '.') {
      return std::string(what) + " " + quotedText(name) + " has the invalid character " +
             byteText(c) + " (letters, digits, '-', '_' and '.')";
    }
  }
  if (!isAlnum(name.front()) || !isAlnum(name.back())) {
    return std::string(what) + " " + quotedText(name) +
           " must start and end with a letter or digit";
  }
  return std::nullopt;
}

// The tokens of selector.go's Lexer: blanks separate, the special symbols
// = ! ( ) , < > make the operators ("==" and "!=" greedily), and any other
// run of bytes is an identifier (a key, a value, or the words in/notin).
enum class Tok { Ident, Equals, DoubleEquals, NotEquals, Not, Open, Close, Comma, Compare, End };

struct Token {
  Tok kind = Tok::End;
  std::string_view text;
};

bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool isSpecial(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '<' || c == '>';
}

class SelectorLexer {
 public:
  explicit SelectorLexer(std::string_view text) : text_(text) {}

  Token next() {
    while (pos_ < text_.size() && isBlank(text_[pos_])) ++pos_;
    if (pos_ == text_.size()) return {Tok::End, {}};
    const size_t start = pos_;
    const char c = text_[pos_++];
    if (!isSpecial(c)) {
      while (pos_ < text_.size() && !isSpecial(text_[pos_]) && !isBlank(text_[pos_])) ++pos_;
      return {Tok::Ident, text_.substr(start, pos_ - start)};
    }
    const bool equalsNext = pos_ < text_.size() && text_[pos_] == '=';
    if ((c == '=' || c == '!') && equalsNext) {
      ++pos_;
      return {c == '=' ? Tok::DoubleEquals : Tok::NotEquals, text_.substr(start, 2)};
    }
    static constexpr std::pair<char, Tok> kSingle[] = {
        {'=', Tok::Equals}, {'!', Tok::Not},     {'(', Tok::Open},   {')', Tok::Close},
        {',', Tok::Comma},  {'<', Tok::Compare}, {'>', Tok::Compare}};
    Tok kind = Tok::End;
    for (const auto& [symbol, tok] : kSingle) {
      if (symbol == c) kind = tok;
    }
    return {kind, text_.substr(start, 1)};
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

std::string shown(const Token& token) {
  return token.kind == Tok::End ? "the end" : quotedText(token.text);
}

bool endsRequirement(const Token& token) {
  return token.kind == Tok::End || token.kind == Tok::Comma;
}

// One requirement: its first token in, the token after it out.
class RequirementReader {
 public:
  explicit RequirementReader(SelectorLexer& lexer) : lexer_(lexer) {}

  std::optional<std::string> read(Token& token) {
    const bool negated = token.kind == Tok::Not;
    if (negated) token = lexer_.next();
    if (token.kind != Tok::Ident) return "expected a label key, found " + shown(token);
    const std::string_view key = token.text;
    if (auto problem = labelKeyProblem(key)) return problem;
    token = lexer_.next();
    if (endsRequirement(token)) return std::nullopt;  // KEY: exists; !KEY: does not
    if (negated) return "'!" + printableText(key) + "' takes no operator, found " + shown(token);
    if (token.kind == Tok::Ident && (token.text == "in" || token.text == "notin")) {
      return valueList(key, token);
    }
    if (token.kind == Tok::Equals || token.kind == Tok::DoubleEquals ||
        token.kind == Tok::NotEquals) {
      token = lexer_.next();
      if (endsRequirement(token)) return std::nullopt;  // "key=": the empty value
      if (token.kind != Tok::Ident) {
        return "expected a value after " + quotedText(key) + ", found " + shown(token);
      }
      if (auto problem = labelValueProblem(token.text)) return problem;
      token = lexer_.next();
      return std::nullopt;
    }
    if (token.kind == Tok::Compare) {
      return "operator " + shown(token) + " is not supported (=, ==, !=, in, notin, !)";
    }
    return "expected an operator (=, ==, !=, in, notin) after " + quotedText(key) + ", found " +
           shown(token);
  }

 private:
  // "(V1,V2)": values may be empty ("(a,,b)", "()"), as selector.go's
  // parseIdentifiersList reads them.
  std::optional<std::string> valueList(std::string_view key, Token& token) {
    token = lexer_.next();
    if (token.kind != Tok::Open) {
      return "expected '(' after " + quotedText(key) + " in/notin, found " + shown(token);
    }
    bool needSeparator = false;
    for (token = lexer_.next(); token.kind != Tok::Close; token = lexer_.next()) {
      if (token.kind == Tok::Ident && !needSeparator) {
        if (auto problem = labelValueProblem(token.text)) return problem;
        needSeparator = true;
      } else if (token.kind == Tok::Comma) {
        needSeparator = false;
      } else if (token.kind == Tok::End) {
        return "missing ')' after the values of " + quotedText(key);
      } else {
        return "expected a value, ',' or ')' in the values of " + quotedText(key) + ", found " +
               shown(token);
      }
    }
    token = lexer_.next();
    return std::nullopt;
  }

  SelectorLexer& lexer_;
};

}  // namespace

// Appended piece by piece: GCC 12 warns falsely (-Wrestrict, its bug 105329)
// on "'" + std::string + "'" chains.
std::string quotedText(std::string_view text) {
  std::string out = "'";
  out += printableText(text);
  out += '\'';
  return out;
}

std::optional<std::string> dnsLabelProblem(std::string_view name) {
  return rfc1123Problem("namespace", name, kMaxDnsLabelBytes, false);
}

std::optional<std::string> dnsSubdomainProblem(std::string_view name) {
  return rfc1123Problem("name", name, kMaxDnsNameBytes, true);
}

std::optional<std::string> labelKeyProblem(std::string_view key) {
  if (key.empty()) return "empty label key";
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos) return qualifiedNameProblem("label key", key, false);
  const std::string_view prefix = key.substr(0, slash);
  const std::string_view name = key.substr(slash + 1);
  if (name.find('/') != std::string_view::npos) {
    return "label key " + quotedText(key) + " has more than one '/'";
  }
  if (prefix.empty()) return "label key " + quotedText(key) + " has an empty prefix before '/'";
  if (auto problem = rfc1123Problem("label key prefix", prefix, kMaxDnsNameBytes, true)) {
    return problem;
  }
  return qualifiedNameProblem("label key name", name, false);
}

std::optional<std::string> labelValueProblem(std::string_view value) {
  return qualifiedNameProblem("label value", value, true);
}

std::optional<std::string> selectorProblem(std::string_view selector) {
  if (selector.size() > kMaxSelectorBytes) {
    return "label selector is " + std::to_string(selector.size()) + " bytes, longer than " +
           std::to_string(kMaxSelectorBytes);
  }
  SelectorLexer lexer(selector);
  RequirementReader reader(lexer);
  Token token = lexer.next();
  if (token.kind == Tok::End) return "empty label selector";
  while (true) {
    if (auto problem = reader.read(token)) return "label selector: " + *problem;
    if (token.kind == Tok::End) return std::nullopt;
    if (token.kind != Tok::Comma) {
      return "label selector: expected ',' or the end, found " + shown(token);
    }
    token = lexer.next();
    if (token.kind == Tok::End) return "label selector: expected a requirement after ','";
  }
}

}  // namespace ddump
