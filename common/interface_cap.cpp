#include "interface_cap.h"

#include <random>

namespace ddump {
namespace {

constexpr size_t kInitialSlots = 16;

// MurmurHash3's 32-bit finaliser (fmix32): a bijection that spreads every
// input bit over the result, applied to the index mixed with the seed.
uint32_t mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bU;
  h ^= h >> 13;
  h *= 0xc2b2ae35U;
  h ^= h >> 16;
  return h;
}

}  // namespace

InterfaceIndexSet::InterfaceIndexSet(size_t maxSize, uint32_t seed)
    : maxSize_(maxSize), seed_(seed) {}

size_t InterfaceIndexSet::slotOf(uint32_t index) const {
  const size_t mask = slots_.size() - 1;
  size_t slot = mix(index ^ seed_) & mask;
  while (slots_[slot] != 0 && slots_[slot] != index) slot = (slot + 1) & mask;
  return slot;
}

bool InterfaceIndexSet::contains(uint32_t index) const {
  if (index == 0) return hasZero_;
  return !slots_.empty() && slots_[slotOf(index)] == index;
}

bool InterfaceIndexSet::insert(uint32_t index) {
  if (contains(index) || full()) return false;
  ++size_;
  if (index == 0) {
    hasZero_ = true;
    return true;
  }
  // At most half full: probe sequences stay short (a table of 2 x maxSize).
  if (slots_.empty() || 2 * size_ > slots_.size()) grow();
  slots_[slotOf(index)] = index;
  return true;
}

void InterfaceIndexSet::grow() {
  std::vector<uint32_t> old = std::move(slots_);
  slots_.assign(old.empty() ? kInitialSlots : old.size() * 2, 0);
  for (const uint32_t index : old) {
    if (index != 0) slots_[slotOf(index)] = index;
  }
}

InterfaceCap::InterfaceCap(size_t limit, size_t countLimit, uint32_t seed)
    : limit_(limit), admitted_(limit, seed), extra_(countLimit, seed) {}

uint32_t InterfaceCap::randomSeed() {
  return std::random_device{}();
}

bool InterfaceCap::admit(uint32_t index) {
  if (admitted_.contains(index)) return true;
  if (admitted_.insert(index)) return true;
  ++otherPackets_;
  if (!extra_.contains(index) && !extra_.insert(index)) extraOver_ = true;
  return false;
}

std::string interfaceCapSummary(const InterfaceCap& cap, const std::string& otherName) {
  if (cap.otherPackets() == 0) return {};
  const std::string indexes =
      (cap.extraIndexesOver() ? "over " : "") + std::to_string(cap.extraIndexes());
  return "more than " + std::to_string(cap.limit()) +
         " interfaces (the pcapng limit per target): " + std::to_string(cap.otherPackets()) +
         " packets of " + indexes + " further interface indexes went to interface " + otherName;
}

}  // namespace ddump
