#include "body_pump.h"

#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ddump {
namespace {

// epoll data: the ticket, and whether the event is the stop eventfd's.
constexpr uint64_t kStopBit = 1ULL << 63;
constexpr uint64_t kWakeData = ~0ULL;

}  // namespace

BodyPump::BodyPump(size_t threads, std::function<void()> afterRound)
    : afterRound_(std::move(afterRound)) {
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) {
    auto loop = std::make_unique<Loop>();
    loop->epoll = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
    loop->wake = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!loop->epoll.valid() || !loop->wake.valid()) {
      throw std::runtime_error(std::string("cannot start the stream readers: ") +
                               std::strerror(errno));
    }
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = kWakeData;
    ::epoll_ctl(loop->epoll.get(), EPOLL_CTL_ADD, loop->wake.get(), &e);
    loops_.push_back(std::move(loop));
  }
  // Signals are for the thread that waits for them (sigwait), never these:
  // they start with every signal blocked, whatever this thread's mask.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  for (auto& loop : loops_) loop->thread = std::thread([this, raw = loop.get()] { runLoop(*raw); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

BodyPump::~BodyPump() {
  for (auto& loop : loops_) {
    std::lock_guard<std::mutex> lock(loop->mutex);
    loop->stopping = true;
    for (auto& [ticket, entry] : loop->entries) entry->finishedCv.notify_one();
  }
  for (auto& loop : loops_) {
    (void)::eventfd_write(loop->wake.get(), 1);
    loop->thread.join();
  }
}

bool BodyPump::run(int socket, int stopEvent, const Reader& reader,
                   const std::function<void(Ticket)>& onTicket) {
  Entry entry;
  entry.socket = socket;
  entry.stopEvent = stopEvent;
  entry.reader = &reader;
  entry.ticket = nextTicket_++;
  Loop* loop = loops_[entry.ticket % loops_.size()].get();
  {
    std::lock_guard<std::mutex> lock(loop->mutex);
    loop->entries[entry.ticket] = &entry;
  }
  onTicket(entry.ticket);
  // Registered after the entry is findable: the loop may see an event at once.
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.u64 = entry.ticket;
  ::epoll_ctl(loop->epoll.get(), EPOLL_CTL_ADD, socket, &e);
  e.data.u64 = entry.ticket | kStopBit;
  ::epoll_ctl(loop->epoll.get(), EPOLL_CTL_ADD, stopEvent, &e);
  std::unique_lock<std::mutex> lock(loop->mutex);
  entry.finishedCv.wait(lock, [&] { return entry.finished || loop->stopping; });
  if (!entry.finished) {  // the pump is going away first: never wait on it again
    loop->entries.erase(entry.ticket);
    lock.unlock();
    ::epoll_ctl(loop->epoll.get(), EPOLL_CTL_DEL, socket, nullptr);
    ::epoll_ctl(loop->epoll.get(), EPOLL_CTL_DEL, stopEvent, nullptr);
    return false;
  }
  return entry.completed;
}

void BodyPump::resume(Ticket ticket) {
  Loop& loop = *loops_[ticket % loops_.size()];
  {
    std::lock_guard<std::mutex> lock(loop.mutex);
    loop.resumes.push_back(ticket);
  }
  (void)::eventfd_write(loop.wake.get(), 1);
}

void BodyPump::watch(Loop& loop, Entry& entry, uint32_t events) {
  entry.events = events;
  epoll_event e{};
  e.events = events;
  e.data.u64 = entry.ticket;
  ::epoll_ctl(loop.epoll.get(), EPOLL_CTL_MOD, entry.socket, &e);
}

// Pump thread: the entry leaves the loop before its owner is told, since the
// owner's stack holds it.
void BodyPump::finish(Loop& loop, Entry& entry, bool completed) {
  ::epoll_ctl(loop.epoll.get(), EPOLL_CTL_DEL, entry.socket, nullptr);
  ::epoll_ctl(loop.epoll.get(), EPOLL_CTL_DEL, entry.stopEvent, nullptr);
  std::lock_guard<std::mutex> lock(loop.mutex);
  loop.entries.erase(entry.ticket);
  entry.completed = completed;
  entry.finished = true;
  // Under the lock: once it is released the owner may return and free entry.
  entry.finishedCv.notify_one();
}

void BodyPump::onReady(Loop& loop, Entry& entry, uint8_t* buffer) {
  switch ((*entry.reader)(buffer, kBufferBytes)) {
    case Step::Read:
      // Level-triggered: still watched for input (again, after a TLS write wait).
      if (entry.events != EPOLLIN) watch(loop, entry, EPOLLIN);
      break;
    case Step::ReadOnWrite:
      watch(loop, entry, EPOLLOUT);
      break;
    case Step::Pause:
      watch(loop, entry, 0);
      break;
    case Step::Done:
      finish(loop, entry, true);
      break;
  }
}

BodyPump::Entry* BodyPump::find(Loop& loop, Ticket ticket) {
  std::lock_guard<std::mutex> lock(loop.mutex);
  const auto it = loop.entries.find(ticket);
  return it == loop.entries.end() ? nullptr : it->second;
}

void BodyPump::applyResumes(Loop& loop, uint8_t* buffer) {
  eventfd_t ignored = 0;
  (void)::eventfd_read(loop.wake.get(), &ignored);
  std::vector<Ticket> tickets;
  {
    std::lock_guard<std::mutex> lock(loop.mutex);
    tickets.swap(loop.resumes);
  }
  for (Ticket t : tickets) {
    // Looked up for each: a ticket resumed twice, or one whose body ended
    // in an earlier read here, is gone, and so is its owner's entry.
    Entry* entry = find(loop, t);
    if (entry == nullptr) continue;
    watch(loop, *entry, EPOLLIN);
    onReady(loop, *entry, buffer);  // bytes may already wait in the socket's buffer
  }
}

void BodyPump::runLoop(Loop& loop) {
  std::vector<uint8_t> buffer(kBufferBytes);
  epoll_event events[64];
  for (;;) {
    const int n = ::epoll_wait(loop.epoll.get(), events, 64, -1);
    if (n < 0 && errno != EINTR) return;
    for (int i = 0; i < n; ++i) {
      const uint64_t data = events[i].data.u64;
      if (data == kWakeData) {
        {
          std::lock_guard<std::mutex> lock(loop.mutex);
          if (loop.stopping) return;
        }
        applyResumes(loop, buffer.data());
        continue;
      }
      // Gone already (an earlier event of this round finished it).
      Entry* entry = find(loop, data & ~kStopBit);
      if (entry == nullptr) continue;
      if (data & kStopBit) {
        finish(loop, *entry, false);
      } else {
        onReady(loop, *entry, buffer.data());
      }
    }
    if (afterRound_ && n > 0) afterRound_();
  }
}

}  // namespace ddump
