#pragma once
// Reads the bodies of many capture streams on a few threads. A thread per
// stream that wakes for every packet cost a context switch or two each: at
// 1000 streams of 100 packets a second that was most of the client's CPU
// (perf: finish_task_switch and the wake-ups on top), and the merge fell
// behind. Here each pump thread waits on many sockets at once (epoll, level
// triggered) and reads whichever are ready, so a busy fleet costs one wake-up
// per batch of ready streams.
//
// A stream's own thread still connects, sends the request and reads the
// response head (blocking, with its timeouts), then hands the body over with
// run() and sleeps until the body ends. Its reader callback runs on a pump
// thread; it must not block (MergeHub::offerBatch instead of onBatch), and
// says Pause when its stream holds its share of the merge's queue: the pump
// then stops reading that socket (its kernel buffer fills and TCP pauses the
// sender, the same backpressure as a blocked reader thread) until resume().
// stop() on the connection (its stop eventfd) ends the wait at once.

#include <sys/epoll.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "unique_fd.h"

namespace ddump {

class BodyPump {
 public:
  enum class Step {
    Read,         // nothing more now: wait until the socket is readable
    ReadOnWrite,  // TLS must write first: wait until the socket is writable
    Pause,        // backpressure: no more reads until resume()
    Done,         // the body ended (or failed): run() returns
  };
  // Reads what it can without blocking, into `buffer` (the pump thread's own).
  using Reader = std::function<Step(uint8_t* buffer, size_t capacity)>;
  using Ticket = uint64_t;

  // `afterRound`: called on a pump thread after each round of ready sockets
  // (readers may leave the merge's writer to be woken once per round).
  explicit BodyPump(size_t threads, std::function<void()> afterRound = {});
  ~BodyPump();
  BodyPump(const BodyPump&) = delete;
  BodyPump& operator=(const BodyPump&) = delete;

  // Blocks the calling thread while `reader` is called on a pump thread
  // whenever `socket` is ready, until it returns Done (true) or `stopEvent`
  // becomes readable (false; the reader is not called again). `onTicket`
  // learns the ticket resume() takes, before the first read.
  bool run(int socket, int stopEvent, const Reader& reader,
           const std::function<void(Ticket)>& onTicket);
  // Any thread: a paused stream may read again.
  void resume(Ticket ticket);

  static constexpr size_t kBufferBytes = 256 * 1024;

 private:
  struct Entry {
    Ticket ticket = 0;
    int socket = -1;
    int stopEvent = -1;
    const Reader* reader = nullptr;
    uint32_t events = EPOLLIN;  // what its socket is watched for
    bool finished = false;
    bool completed = false;  // Done rather than stopped
    // Its own: a shared one woke every waiting stream whenever one ended.
    std::condition_variable finishedCv;
  };
  struct Loop {
    UniqueFd epoll;
    UniqueFd wake;  // eventfd: resumes are waiting, or the pump stops
    std::mutex mutex;
    std::vector<Ticket> resumes;                 // guarded by mutex
    std::unordered_map<Ticket, Entry*> entries;  // guarded by mutex
    bool stopping = false;                       // guarded by mutex
    std::thread thread;
  };

  void runLoop(Loop& loop);
  // The entry of `ticket`, or nullptr once its body has ended.
  static Entry* find(Loop& loop, Ticket ticket);
  void onReady(Loop& loop, Entry& entry, uint8_t* buffer);
  void applyResumes(Loop& loop, uint8_t* buffer);
  void finish(Loop& loop, Entry& entry, bool completed);
  void watch(Loop& loop, Entry& entry, uint32_t events);

  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<Ticket> nextTicket_{1};
  std::function<void()> afterRound_;
};

}  // namespace ddump
