package dev.bastion.data;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * An input stream that feeds every byte read to a digest on a helper thread, so that the reading
 * thread only copies them: the digest is of exactly the bytes the reader got, in order. Memory is
 * {@value #BLOCKS} blocks of {@value #BLOCK} bytes. Call {@link #finish()} after the last read to
 * wait for the digest to be complete; {@link #close()} stops the helper without waiting.
 */
final class DigestingInputStream extends FilterInputStream {
  static final int BLOCK = 1 << 18;
  static final int BLOCKS = 4;

  /** Bytes {@code [0, length)} of a block; length -1 ends the stream. */
  private record Chunk(byte[] bytes, int length) {}

  private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BLOCKS);
  private final BlockingQueue<Chunk> full = new ArrayBlockingQueue<>(BLOCKS + 1);
  private final Thread helper;
  private volatile Throwable failure;
  private boolean ended;
  /** The block being filled by reads, and how much of it is filled; handed over when full. */
  private byte[] current;
  private int filled;

  DigestingInputStream(InputStream in, MessageDigest digest) {
    super(in);
    for (int i = 0; i < BLOCKS; i++) {
      free.add(new byte[BLOCK]);
    }
    helper = Thread.ofPlatform().name("bastion-digest").daemon().unstarted(() -> {
      try {
        while (true) {
          Chunk c = full.take();
          if (c.length() < 0) {
            return;
          }
          digest.update(c.bytes(), 0, c.length());
          free.put(c.bytes());
        }
      } catch (InterruptedException e) {
        // stopped by close()
      } catch (RuntimeException | Error e) {
        failure = e;
      }
    });
    helper.start();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (current == null) {
      current = take();
      filled = 0;
    }
    int n = in.read(b, off, Math.min(len, BLOCK - filled));
    if (n > 0) {
      // Reads are gathered into large blocks: each hand-over wakes the helper, which costs
      // microseconds here, so fewer and larger ones leave more of the reading thread's time.
      System.arraycopy(b, off, current, filled, n);
      filled += n;
      if (filled == BLOCK) {
        put(new Chunk(current, filled));
        current = null;
      }
    }
    return n;
  }

  @Override
  public long skip(long n) {
    return 0; // every byte must pass through read to be digested
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  /** Waits until every byte read so far is in the digest. */
  void finish() throws IOException {
    if (!ended) {
      ended = true;
      if (current != null && filled > 0) {
        put(new Chunk(current, filled));
        current = null;
      }
      put(new Chunk(new byte[0], -1));
    }
    try {
      helper.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while digesting", e);
    }
    if (failure != null) {
      throw new IllegalStateException("digest failed", failure);
    }
  }

  @Override
  public void close() throws IOException {
    helper.interrupt();
    super.close();
  }

  private byte[] take() throws IOException {
    try {
      byte[] b;
      while ((b = free.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS)) == null) {
        if (!helper.isAlive()) {
          throw new IllegalStateException("digest failed", failure);
        }
      }
      return b;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while digesting", e);
    }
  }

  private void put(Chunk c) throws IOException {
    try {
      full.put(c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while digesting", e);
    }
  }
}
