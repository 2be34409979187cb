package dev.bastion.data.profile;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Feeds the numeric cells of a one-thread pass to the columns' quantile sketches on a helper
 * thread, in blocks of {@value #BLOCK} (column, value) pairs, {@value #BLOCKS} blocks at most: each
 * sketch gets its values in the order the rows came, so it is the sketch the reading thread would
 * have built, while that thread only stores two numbers per cell. Until {@link #finish()} returns,
 * only the helper touches the sketches.
 */
final class NumberFeed implements AutoCloseable {
  static final int BLOCK = 1 << 14;
  static final int BLOCKS = 3;

  private static final class Block {
    final int[] columns = new int[BLOCK];
    final double[] values = new double[BLOCK];
    int size;
    boolean last;
  }

  private final BlockingQueue<Block> free = new ArrayBlockingQueue<>(BLOCKS);
  private final BlockingQueue<Block> full = new ArrayBlockingQueue<>(BLOCKS);
  private final Thread helper;
  private volatile Throwable failure;
  private Block current;

  NumberFeed(ColumnProfile[] targets) {
    for (int i = 0; i < BLOCKS; i++) {
      free.add(new Block());
    }
    current = free.remove();
    helper = Thread.ofPlatform().name("bastion-quantiles").daemon().unstarted(() -> {
      try {
        while (true) {
          Block b = full.take();
          for (int i = 0; i < b.size; i++) {
            targets[b.columns[i]].updateNumber(b.values[i]);
          }
          if (b.last) {
            return;
          }
          b.size = 0;
          free.put(b);
        }
      } catch (InterruptedException e) {
        // stopped by close()
      } catch (RuntimeException | Error e) {
        failure = e;
      }
    });
    helper.start();
  }

  /** Queues {@code value} for column {@code column}'s sketch. */
  void add(int column, double value) {
    Block b = current;
    int at = b.size;
    b.columns[at] = column;
    b.values[at] = value;
    b.size = at + 1;
    if (at + 1 == BLOCK) {
      put(b);
      current = take();
    }
  }

  /** Waits until every value queued is in its sketch. */
  void finish() throws IOException {
    if (current != null) {
      current.last = true;
      put(current);
      current = null;
    }
    try {
      helper.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while profiling", e);
    }
    if (failure != null) {
      throw new IllegalStateException("quantile sketch update failed", failure);
    }
  }

  @Override
  public void close() {
    helper.interrupt();
  }

  /**
   * The next free block. The waits are not interruptible (the interrupt is kept for the caller):
   * they end when the helper frees a block, which it does unless it failed.
   */
  private Block take() {
    return untilDone(() -> free.poll(100, TimeUnit.MILLISECONDS));
  }

  /** Hands a filled block to the helper; waits as {@link #take} does. */
  private void put(Block b) {
    untilDone(() -> full.offer(b, 100, TimeUnit.MILLISECONDS) ? b : null);
  }

  /** One timed attempt: its result, or null when it timed out. */
  @FunctionalInterface
  private interface Attempt<T> {
    T run() throws InterruptedException;
  }

  /**
   * Repeats {@code attempt} until it gives a result, failing if the helper died meanwhile; an
   * interrupt is kept for the caller, not obeyed.
   */
  private <T> T untilDone(Attempt<T> attempt) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          T result = attempt.run();
          if (result != null) {
            return result;
          }
          if (!helper.isAlive()) {
            throw new IllegalStateException("quantile sketch update failed", failure);
          }
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
