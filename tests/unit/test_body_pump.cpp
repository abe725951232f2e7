// The stream pump's life cycle on real sockets: a paused stream is read
// again only once resumed, and a resume that arrives twice, or after the
// stream's body ended, reads nothing (its owner's entry is gone by then).
#include <catch2/catch.hpp>

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "body_pump.h"
#include "unique_fd.h"

using namespace ddump;

namespace {

struct Pair {
  UniqueFd ours;
  UniqueFd theirs;
  UniqueFd stop{::eventfd(0, EFD_CLOEXEC)};
  Pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
    ours = UniqueFd(fds[0]);
    theirs = UniqueFd(fds[1]);
  }
  void send() { REQUIRE(::write(theirs.get(), "x", 1) == 1); }
};

// Waits, bounded, until `done` holds.
template <typename F>
bool eventually(F done) {
  for (int i = 0; i < 500 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

}  // namespace

TEST_CASE("a paused stream reads again once resumed, and a second resume reads nothing", "[pump]") {
  BodyPump pump(1);
  Pair a;
  Pair b;
  // A's reader holds the pump's only thread until released, so that both
  // resumes of B wait for it together.
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> aCalls{0};
  std::atomic<int> bCalls{0};
  std::atomic<BodyPump::Ticket> bTicket{0};
  bool aDone = false;
  bool bDone = false;
  std::thread ownerB([&] {
    const BodyPump::Reader reader = [&](uint8_t* buffer, size_t capacity) {
      (void)::read(b.ours.get(), buffer, capacity);
      return ++bCalls == 1 ? BodyPump::Step::Pause : BodyPump::Step::Done;
    };
    bDone = pump.run(b.ours.get(), b.stop.get(), reader, [&](BodyPump::Ticket t) { bTicket = t; });
  });
  REQUIRE(eventually([&] { return bTicket != 0; }));
  b.send();
  REQUIRE(eventually([&] { return bCalls == 1; }));
  b.send();  // paused: not read
  std::thread ownerA([&] {
    const BodyPump::Reader reader = [&](uint8_t* buffer, size_t capacity) {
      (void)::read(a.ours.get(), buffer, capacity);
      ++aCalls;
      std::unique_lock<std::mutex> lock(mutex);
      cv.wait(lock, [&] { return release; });
      return BodyPump::Step::Done;
    };
    aDone = pump.run(a.ours.get(), a.stop.get(), reader, [](BodyPump::Ticket) {});
  });
  a.send();
  REQUIRE(eventually([&] { return aCalls == 1; }));
  CHECK(bCalls == 1);
  pump.resume(bTicket);
  pump.resume(bTicket);
  {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
  }
  cv.notify_all();
  ownerA.join();
  ownerB.join();
  CHECK(aDone);
  CHECK(bDone);
  CHECK(bCalls == 2);  // one read after the first resume; the second found nothing
}

TEST_CASE("stop() on a pumped connection ends its run at once, unread", "[pump]") {
  BodyPump pump(2);
  Pair p;
  std::atomic<int> calls{0};
  std::atomic<bool> started{false};
  bool completed = true;
  std::thread owner([&] {
    const BodyPump::Reader reader = [&](uint8_t*, size_t) {
      ++calls;
      return BodyPump::Step::Read;
    };
    completed =
        pump.run(p.ours.get(), p.stop.get(), reader, [&](BodyPump::Ticket) { started = true; });
  });
  REQUIRE(eventually([&] { return started.load(); }));
  REQUIRE(::eventfd_write(p.stop.get(), 1) == 0);
  owner.join();
  CHECK_FALSE(completed);
  CHECK(calls == 0);
}
