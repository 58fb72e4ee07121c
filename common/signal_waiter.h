// SIGINT and SIGTERM handed to one thread, so that a server's main() stops in
// order (checkpoints first) instead of dying in the middle of a write.
// Construct it before starting any other thread: threads inherit the blocked
// mask, so the signals can reach only the waiting thread.
#ifndef RIDGE_COMMON_SIGNAL_WAITER_H_
#define RIDGE_COMMON_SIGNAL_WAITER_H_

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>
#include <utility>

namespace ridge {

class SignalWaiter {
 public:
  SignalWaiter() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  }
  SignalWaiter(const SignalWaiter&) = delete;
  SignalWaiter& operator=(const SignalWaiter&) = delete;
  ~SignalWaiter() { Stop(); }

  // Waits on its own thread; the first signal runs on_signal(signal number)
  // there, unless Stop() came first. A second signal while the process winds
  // down ends it at once with that signal's default action, so an impatient
  // user is never stuck behind a long shutdown.
  void Start(std::function<void(int)> on_signal) {
    thread_ = std::thread([this, on_signal = std::move(on_signal)] {
      int signal = 0;
      sigwait(&signals_, &signal);
      if (stopping_) return;
      on_signal(signal);
      sigwait(&signals_, &signal);
      if (stopping_) return;
      ::signal(signal, SIG_DFL);
      pthread_sigmask(SIG_UNBLOCK, &signals_, nullptr);
      raise(signal);
    });
  }

  // Ends the wait (waking the thread with a signal it ignores) and joins it.
  void Stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }

 private:
  sigset_t signals_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace ridge

#endif  // RIDGE_COMMON_SIGNAL_WAITER_H_
