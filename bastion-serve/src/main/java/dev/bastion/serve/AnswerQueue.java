package dev.bastion.serve;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Runs answers on a pool in bursts: answers come one ledger batch at a time, so they are queued
 * and taken by at most {@code senders} pool tasks, each running answers until none is left,
 * rather than by one task (and one thread woken) per answer. No answer is left in the queue
 * without a task to run it, whatever a task throws; if the pool refuses a task (it is stopping),
 * every queued answer is told.
 */
final class AnswerQueue {
  /** An answer, and what to do if the pool will not run it. */
  private record Answer(Runnable task, Consumer<RejectedExecutionException> onRejected) {}

  private final Executor pool;
  private final int senders;
  private final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
  /** Pool tasks counted as taking answers: at most {@link #senders}. */
  private final AtomicInteger running = new AtomicInteger();
  private final Runnable sender = this::send;

  AnswerQueue(Executor pool, int senders) {
    if (senders < 1) {
      throw new IllegalArgumentException("at least one sender");
    }
    this.pool = pool;
    this.senders = senders;
  }

  /**
   * Queues {@code task}; {@code onRejected} runs instead if the pool refuses to run it. A task
   * should handle its own failures: one that throws is passed over, and the next runs.
   */
  void submit(Runnable task, Consumer<RejectedExecutionException> onRejected) {
    answers.add(new Answer(task, onRejected));
    if (start()) {
      dispatch();
    }
  }

  /** Counts one more sender, unless there are enough. */
  private boolean start() {
    for (int n; (n = running.get()) < senders; ) {
      if (running.compareAndSet(n, n + 1)) {
        return true;
      }
    }
    return false;
  }

  /** Hands a counted sender to the pool; if it refuses, every queued answer is told. */
  private void dispatch() {
    try {
      pool.execute(sender);
    } catch (RejectedExecutionException e) {
      running.decrementAndGet();
      for (Answer a; (a = answers.poll()) != null; ) {
        a.onRejected().accept(e);
      }
    }
  }

  private void send() {
    try {
      for (Answer a; (a = answers.poll()) != null; ) {
        try {
          a.task().run();
        } catch (RuntimeException e) {
          // The task's own failure; the answers after it are not held up by it.
        }
      }
    } finally {
      // Whatever ended this sender (an Error included), what was queued meanwhile gets one.
      running.decrementAndGet();
      if (!answers.isEmpty() && start()) {
        dispatch();
      }
    }
  }
}
