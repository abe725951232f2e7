#pragma once
// An httplib::Server bound to one --listen address. cpp-httplib 0.11.4 has no
// AF_UNIX support, but svr_sock_ is protected and listen_after_bind() public,
// so this subclass binds a unix socket itself.

#include <httplib.h>

#include <string>

#include "listen_address.h"

namespace ddump {

class Listener : public httplib::Server {
 public:
  // Binds at start-up; throws std::runtime_error naming the address on failure.
  BoundListener bind(const ListenAddress& address, unsigned socketMode);
  const std::string& description() const { return description_; }
  bool isUnix() const { return isUnix_; }

 private:
  BoundListener bindTcp(const ListenAddress& address);
  void bindUnix(const std::string& path, unsigned mode);

  std::string description_;
  bool isUnix_ = false;
};

}  // namespace ddump
