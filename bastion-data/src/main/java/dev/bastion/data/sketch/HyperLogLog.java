package dev.bastion.data.sketch;

import dev.bastion.core.BadInputException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A HyperLogLog distinct-count sketch over 64-bit hashes (see {@link Hashing}) with {@code 2^p}
 * one-byte registers.
 *
 * <p>Accuracy: the relative standard error of {@link #estimate()} is {@code 1.04 / sqrt(2^p)}
 * (1.6% at the default {@code p = 12}, 4 KiB of registers); below {@code 2.5 * 2^p} distinct values
 * linear counting is used, which is more accurate still. The tests assert the error stays within
 * four standard errors. Merging takes the register-wise maximum, so {@code a.merge(b)} is exactly
 * the sketch of the union of their inputs.
 */
public final class HyperLogLog {
  /** Default precision: 4096 registers. */
  public static final int DEFAULT_P = 12;

  /** Smallest and largest precision accepted. */
  public static final int MIN_P = 4;

  public static final int MAX_P = 18;

  private static final int MAGIC = 0x484c4c31; // "HLL1"

  private final int p;
  private final byte[] registers;

  public HyperLogLog(int p) {
    if (p < MIN_P || p > MAX_P) {
      throw new IllegalArgumentException("p must be " + MIN_P + " to " + MAX_P);
    }
    this.p = p;
    this.registers = new byte[1 << p];
  }

  public HyperLogLog() {
    this(DEFAULT_P);
  }

  public int precision() {
    return p;
  }

  /** The documented relative standard error, {@code 1.04 / sqrt(2^p)}. */
  public double relativeStandardError() {
    return 1.04 / Math.sqrt(registers.length);
  }

  /** Adds a value by its 64-bit hash. */
  public void addHash(long hash) {
    int index = (int) (hash >>> (64 - p));
    // The remaining bits, with a sentinel so that the rank is at most 64 - p + 1.
    long rest = (hash << p) | (1L << (p - 1));
    int rank = Long.numberOfLeadingZeros(rest) + 1;
    if (rank > registers[index]) {
      registers[index] = (byte) rank;
    }
  }

  /** The estimated number of distinct values added. */
  public double estimate() {
    int m = registers.length;
    double sum = 0;
    int zeros = 0;
    for (byte r : registers) {
      sum += Math.scalb(1.0, -r);
      if (r == 0) {
        zeros++;
      }
    }
    double alpha =
        switch (m) {
          case 16 -> 0.673;
          case 32 -> 0.697;
          case 64 -> 0.709;
          default -> 0.7213 / (1 + 1.079 / m);
        };
    double e = alpha * m * (double) m / sum;
    if (e <= 2.5 * m && zeros > 0) {
      e = m * Math.log((double) m / zeros);
    }
    return e;
  }

  /** Adds {@code other}'s values to this sketch. */
  public void merge(HyperLogLog other) {
    if (other.p != p) {
      throw new IllegalArgumentException("cannot merge HyperLogLog p=" + other.p + " into p=" + p);
    }
    for (int i = 0; i < registers.length; i++) {
      if (other.registers[i] > registers[i]) {
        registers[i] = other.registers[i];
      }
    }
  }

  public HyperLogLog copy() {
    HyperLogLog c = new HyperLogLog(p);
    System.arraycopy(registers, 0, c.registers, 0, registers.length);
    return c;
  }

  /** Canonical bytes: magic, p, the registers. */
  public byte[] toBytes() {
    ByteBuffer b = ByteBuffer.allocate(5 + registers.length);
    b.putInt(MAGIC).put((byte) p).put(registers);
    return b.array();
  }

  /**
   * Reads a sketch written by {@link #toBytes()}.
   *
   * @throws BadInputException if the bytes are not a valid sketch
   */
  public static HyperLogLog fromBytes(byte[] bytes) throws BadInputException {
    if (bytes.length < 5 || ByteBuffer.wrap(bytes).getInt() != MAGIC) {
      throw new BadInputException("not a HyperLogLog sketch");
    }
    int p = bytes[4];
    if (p < MIN_P || p > MAX_P) {
      throw new BadInputException("HyperLogLog precision " + p + " out of range");
    }
    if (bytes.length != 5 + (1 << p)) {
      throw new BadInputException("HyperLogLog sketch has the wrong length");
    }
    HyperLogLog h = new HyperLogLog(p);
    System.arraycopy(bytes, 5, h.registers, 0, h.registers.length);
    for (byte r : h.registers) {
      if (r < 0 || r > 64 - p + 1) {
        throw new BadInputException("HyperLogLog register out of range");
      }
    }
    return h;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HyperLogLog h && h.p == p && Arrays.equals(h.registers, registers);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(registers);
  }
}
