#include "result.h"

namespace ddump {

const char* toString(ErrorCode code) {
  switch (code) {
    case ErrorCode::BadMagic: return "bad magic";
    case ErrorCode::UnsupportedVersion: return "unsupported version";
    case ErrorCode::SnaplenTooLarge: return "snaplen too large";
    case ErrorCode::CaplenTooLarge: return "caplen too large";
    case ErrorCode::CaplenExceedsLen: return "caplen exceeds len";
    case ErrorCode::CaplenExceedsSnaplen: return "caplen exceeds snaplen";
    case ErrorCode::Truncated: return "truncated";
    case ErrorCode::DecoderFailed: return "decoder failed";
    case ErrorCode::BadLinkType: return "bad link type";
    case ErrorCode::Incompatible: return "incompatible streams";
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::Io: return "i/o error";
    case ErrorCode::Capture: return "capture error";
    case ErrorCode::PermissionDenied: return "permission denied";
    case ErrorCode::Network: return "network error";
    case ErrorCode::Http: return "http error";
  }
  return "unknown error";
}

}  // namespace ddump
