// voxscope: the one thread pool, parallel loops and cooperative interruption.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

namespace vox {

/// A non-owning reference to a callable, cheaper than std::function (no allocation).
/// The referenced callable must outlive the FunctionRef.
template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
public:
    template <typename F,
              typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
    FunctionRef(F&& fn)  // NOLINT(google-explicit-constructor): used like std::function
        : m_object(const_cast<void*>(static_cast<const void*>(&fn))),
          m_call([](void* object, Args... args) -> R {
              return (*static_cast<std::remove_reference_t<F>*>(object))(
                  std::forward<Args>(args)...);
          }) {}
    R operator()(Args... args) const { return m_call(m_object, std::forward<Args>(args)...); }

private:
    void* m_object;
    R (*m_call)(void*, Args...);
};

/// Number of worker threads parallel code uses (all cores unless set_thread_count()).
int thread_count();

/// Limits every parallel loop in the process to `count` threads; 0 means all cores.
/// voxscope uses oneTBB's single shared pool: nested loops and concurrent
/// callers (the viewer's server threads) share it without oversubscription.
void set_thread_count(int count);

/// Runs body(chunk_begin, chunk_end) over [begin, end) split into chunks of about
/// `grain` indices, on the shared pool. Blocks until all chunks are done.
///
/// Before each chunk it checks for an interrupt, so long loops stop within one
/// chunk of a Ctrl-C. Exceptions thrown by the body (including Interrupted)
/// cancel the remaining chunks and are rethrown here.
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain,
                  FunctionRef<void(std::int64_t, std::int64_t)> body);

/// Asks running work to stop. Async-signal-safe: a SIGINT handler may call it.
void request_interrupt();
/// True after request_interrupt() until clear_interrupt().
bool interrupt_requested();
/// Forgets an earlier request (e.g. before the next viewer request).
void clear_interrupt();
/// @throw Interrupted if an interrupt was requested.
void throw_if_interrupted();

}  // namespace vox
