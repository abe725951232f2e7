#include "pcapng_block_order.h"

#include <cstdio>
#include <string>

#include "pcapng_blocks.h"

namespace ddump {
namespace {

// Fields every record and option starts with: a 16-bit type or code and a
// 16-bit length of the value that follows, padded to 32 bits (4.5, 3.5).
constexpr size_t kTlvHeaderSize = 4;
// Secrets Type and Secrets Length (4.7).
constexpr size_t kDsbFixedSize = 8;
// A custom option's value starts with a 32-bit Private Enterprise Number (3.5.1).
constexpr size_t kPenSize = 4;

constexpr uint16_t kNrbRecordEnd = 0;  // nrb_record_end (4.5)

// 3.5.1: 2988 and 19372 carry a UTF-8 string, 2989 and 19373 binary data;
// all four begin with the PEN, in the section's byte order.
bool isCustomOption(uint16_t code) {
  return code == 2988 || code == 2989 || code == 19372 || code == 19373;
}

std::string hex32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

// Values are padded to 32 bits (3.5, 4.5, 4.7); 64-bit so a 32-bit length
// cannot wrap.
uint64_t padded32(uint64_t length) {
  return (length + 3) & ~uint64_t{3};
}

// Walks one block, reading each field it knows in `from` and writing it into
// a copy in `to`. Offsets in messages count from the start of the block.
class BlockReorderer {
 public:
  BlockReorderer(uint32_t type, std::span<const uint8_t> block, ByteOrder from, ByteOrder to)
      : type_(type),
        label_(pcapngBlockLabel(type)),
        in_(block),
        out_(block.begin(), block.end()),
        from_(from),
        to_(to) {}

  Result<std::vector<uint8_t>> run() {
    if (type_ != kPcapngNrbType && type_ != kPcapngDsbType) {
      return fail(label_ + " is not an NRB or DSB");
    }
    if (Status status = framing(); !status) return status.error();
    end_ = in_.size() - 4;  // the trailing Block Total Length (3.1)
    Status status = type_ == kPcapngNrbType ? nameResolution() : decryptionSecrets();
    if (!status) return status.error();
    return std::move(out_);
  }

 private:
  uint16_t field16(size_t at) {
    const uint16_t value = load16(in_.data() + at, from_);
    store16(out_.data() + at, value, to_);
    return value;
  }
  uint32_t field32(size_t at) {
    const uint32_t value = load32(in_.data() + at, from_);
    store32(out_.data() + at, value, to_);
    return value;
  }
  Error fail(const std::string& what) const { return makeError(ErrorCode::DecoderFailed, what); }
  std::string atByte(size_t offset) const { return " at byte " + std::to_string(offset); }
  std::string left(size_t offset) const {
    return " runs past the block (" + std::to_string(end_ - offset) + " bytes left)";
  }

  // 3.1: Block Type | Block Total Length | body | Block Total Length, the
  // total a multiple of 4 and the same at both ends. The reader checked this
  // already; checked again because this function takes any span.
  Status framing() {
    const size_t size = in_.size();
    if (size < kPcapngBlockOverhead) {
      return fail(label_ + " of " + std::to_string(size) + " bytes is shorter than its " +
                  std::to_string(kPcapngBlockOverhead) + "-byte header and trailer");
    }
    if (size % 4 != 0) {
      return fail(label_ + " of " + std::to_string(size) + " bytes is not a multiple of 4");
    }
    if (const uint32_t field = field32(0); field != type_) {
      return fail(label_ + " has Block Type " + hex32(field) + ", not " + hex32(type_));
    }
    if (const uint32_t lead = field32(4); lead != size) {
      return fail(label_ + " Block Total Length " + std::to_string(lead) + " is not its size " +
                  std::to_string(size));
    }
    if (const uint32_t trail = field32(size - 4); trail != size) {
      return fail(label_ + " trailing Block Total Length " + std::to_string(trail) +
                  " is not its size " + std::to_string(size));
    }
    return Status::success();
  }

  // 4.5: records up to nrb_record_end, then options. A record list that
  // fills the block without nrb_record_end is accepted (readers should be
  // lenient, as 3.5 asks of option lists); then there is no room for options.
  Status nameResolution() {
    size_t offset = kPcapngBlockHeaderSize;
    while (offset < end_) {
      auto record = tlv("record", "type", offset);
      if (!record) return record.error();
      const auto [recordType, length, size] = *record;
      if (recordType == kNrbRecordEnd) {
        // Like opt_endofopt (3.5), the end record has no value.
        if (length != 0) {
          return fail(label_ + " nrb_record_end" + atByte(offset) + " has length " +
                      std::to_string(length) + ", not 0");
        }
        return options(offset + size);
      }
      // Record values (IPv4/IPv6 addresses, EUI-48/EUI-64, NUL-terminated
      // names) are byte strings in network order: copied as they are.
      offset += size;
    }
    return Status::success();
  }

  // 4.7: Secrets Type | Secrets Length | Secrets Data, padded | options.
  Status decryptionSecrets() {
    const size_t fixed = kPcapngBlockHeaderSize;
    if (end_ - fixed < kDsbFixedSize) {
      return fail(label_ + " body of " + std::to_string(end_ - fixed) +
                  " bytes has no room for Secrets Type and Secrets Length");
    }
    field32(fixed);  // Secrets Type
    const uint32_t length = field32(fixed + 4);
    const size_t data = fixed + kDsbFixedSize;
    if (padded32(length) > end_ - data) {
      return fail(label_ + " Secrets Length " + std::to_string(length) + left(data));
    }
    // The secrets themselves (a TLS key log, a WireGuard key log, ...) are
    // bytes: copied as they are.
    return options(data + static_cast<size_t>(padded32(length)));
  }

  // 3.5: code | length | value, padded, up to opt_endofopt or the end of the
  // block. NRB options (opt_comment, ns_dnsname, ns_dnsIP4addr,
  // ns_dnsIP6addr) and DSB options (opt_comment) hold strings and addresses,
  // so only a custom option's PEN is swapped in a value. Bytes after
  // opt_endofopt belong to no field and are copied as they are.
  Status options(size_t offset) {
    while (offset < end_) {
      auto option = tlv("option", "code", offset);
      if (!option) return option.error();
      const auto [code, length, size] = *option;
      if (code == kPcapngOptEndOfOpt) {
        if (length != 0) {
          return fail(label_ + " opt_endofopt" + atByte(offset) + " has length " +
                      std::to_string(length) + ", not 0");
        }
        break;
      }
      if (isCustomOption(code)) {
        if (length < kPenSize) {
          return fail(label_ + " custom option " + std::to_string(code) + atByte(offset) +
                      " has length " + std::to_string(length) +
                      ", too short for its Private Enterprise Number");
        }
        field32(offset + kTlvHeaderSize);
      }
      offset += size;
    }
    return Status::success();
  }

  struct Tlv {
    uint16_t type = 0;
    uint16_t length = 0;
    size_t size = 0;  // header, value and padding
  };

  // A record or option header at `offset` and its padded value, all before
  // the trailing Block Total Length.
  Result<Tlv> tlv(const char* what, const char* typeName, size_t offset) {
    if (end_ - offset < kTlvHeaderSize) {
      return fail(label_ + " " + what + atByte(offset) + left(offset));
    }
    const uint16_t type = field16(offset);
    const uint16_t length = field16(offset + 2);
    const size_t value = offset + kTlvHeaderSize;
    if (padded32(length) > end_ - value) {
      return fail(label_ + " " + what + atByte(offset) + " (" + typeName + " " +
                  std::to_string(type) + ", length " + std::to_string(length) + ")" + left(value));
    }
    return Tlv{type, length, kTlvHeaderSize + static_cast<size_t>(padded32(length))};
  }

  uint32_t type_;
  std::string label_;
  std::span<const uint8_t> in_;
  std::vector<uint8_t> out_;
  ByteOrder from_;
  ByteOrder to_;
  size_t end_ = 0;  // offset of the trailing Block Total Length
};

}  // namespace

Result<std::vector<uint8_t>> reorderPcapngBlock(uint32_t type, std::span<const uint8_t> block,
                                                ByteOrder from, ByteOrder to) {
  return BlockReorderer(type, block, from, to).run();
}

}  // namespace ddump
