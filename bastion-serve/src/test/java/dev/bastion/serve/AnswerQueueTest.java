package dev.bastion.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** {@link AnswerQueue}: every answer runs once, by a bounded number of senders, come what may. */
class AnswerQueueTest {
  @Test
  void everyAnswerRunsOnceByAtMostTheGivenSenders() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      AnswerQueue q = new AnswerQueue(pool, 2);
      int n = 20_000;
      AtomicIntegerArray runs = new AtomicIntegerArray(n);
      AtomicInteger inside = new AtomicInteger();
      AtomicInteger most = new AtomicInteger();
      CountDownLatch all = new CountDownLatch(n);
      Thread[] producers = new Thread[4];
      for (int p = 0; p < producers.length; p++) {
        int first = p;
        producers[p] = new Thread(() -> {
          for (int i = first; i < n; i += producers.length) {
            int id = i;
            q.submit(() -> {
              most.accumulateAndGet(inside.incrementAndGet(), Math::max);
              runs.incrementAndGet(id);
              inside.decrementAndGet();
              all.countDown();
            }, e -> { });
          }
        });
        producers[p].start();
      }
      for (Thread t : producers) {
        t.join();
      }
      assertThat(all.await(30, TimeUnit.SECONDS)).as("no answer left in the queue").isTrue();
      for (int i = 0; i < n; i++) {
        assertThat(runs.get(i)).as("answer " + i).isEqualTo(1);
      }
      assertThat(most.get()).isBetween(1, 2);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aTaskThatThrowsHoldsNoOtherUpEvenAnError() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      AnswerQueue q = new AnswerQueue(pool, 1);
      CountDownLatch after = new CountDownLatch(3);
      CountDownLatch gate = new CountDownLatch(1);
      // Held until everything is queued, so that the failures happen inside one sender's burst.
      q.submit(() -> {
        try {
          gate.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, e -> { });
      q.submit(() -> {
        throw new IllegalStateException("this answer failed");
      }, e -> { });
      q.submit(after::countDown, e -> { });
      q.submit(() -> {
        throw new StackOverflowError("a sender's thread is lost");
      }, e -> { });
      q.submit(after::countDown, e -> { });
      q.submit(after::countDown, e -> { });
      gate.countDown();
      assertThat(after.await(10, TimeUnit.SECONDS)).as("the answers after the failures ran")
          .isTrue();
      // The sender lost to the Error was given back: answers still go out.
      CountDownLatch later = new CountDownLatch(1);
      q.submit(later::countDown, e -> { });
      assertThat(later.await(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aPoolThatRefusesTellsEveryAnswer() {
    AtomicInteger told = new AtomicInteger();
    AnswerQueue q = new AnswerQueue(task -> {
      throw new RejectedExecutionException("stopping");
    }, 1);
    for (int i = 0; i < 5; i++) {
      q.submit(() -> {
        throw new AssertionError("never run");
      }, e -> told.incrementAndGet());
    }
    assertThat(told.get()).isEqualTo(5);
  }
}
