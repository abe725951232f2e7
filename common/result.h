#pragma once
// Return-value error handling for the data path (Envoy STYLE.md: no exceptions
// once streaming has started). Modelled on httplib's Result: a value or an
// Error carrying a machine-readable code and a human-readable one-line message.

#include <string>
#include <utility>
#include <variant>

namespace ddump {

enum class ErrorCode {
  BadMagic,
  UnsupportedVersion,
  SnaplenTooLarge,
  CaplenTooLarge,
  CaplenExceedsLen,
  CaplenExceedsSnaplen,
  Truncated,
  DecoderFailed,
  BadLinkType,
  Incompatible,
  InvalidArgument,
  Io,
  Capture,
  PermissionDenied,
  Network,
  Http,
};

const char* toString(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;  // one line, names what was wrong
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : data_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(data_); }
  const T& value() const { return std::get<T>(data_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<Error>(data_); }

 private:
  std::variant<T, Error> data_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status success() { return {}; }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{ErrorCode::InvalidArgument, {}};
  bool ok_ = true;
};

inline Error makeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace ddump
