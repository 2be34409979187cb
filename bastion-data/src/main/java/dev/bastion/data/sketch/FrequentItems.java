package dev.bastion.data.sketch;

import dev.bastion.core.BadInputException;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Frequent items by the Misra–Gries algorithm with at most {@code m} counters, mergeable as in
 * Agarwal et al., "Mergeable Summaries" (2012).
 *
 * <p>Error bound: for every item, {@code estimate(x) <= true count <= estimate(x) + error()}, where
 * {@link #error()} is the total weight subtracted from each counter so far; it is at most {@code
 * n / (m + 1)} and is 0 (the counts are exact) while no more than {@code m} distinct items have
 * been seen. Merging keeps the bound for the union.
 */
public final class FrequentItems {
  /** Default number of counters. */
  public static final int DEFAULT_M = 128;

  public static final int MAX_M = 1 << 16;

  /** Longest item kept, in characters; longer items are cut (their counts add up). */
  public static final int MAX_ITEM_CHARS = 256;

  private static final int MAGIC = 0x4d474931; // "MGI1"

  private final int m;
  private final HashMap<String, long[]> counters;
  private long n;
  private long error;

  public FrequentItems(int m) {
    if (m < 1 || m > MAX_M) {
      throw new IllegalArgumentException("m must be 1 to " + MAX_M);
    }
    this.m = m;
    this.counters = new HashMap<>(Math.min(m, 1024) * 2);
  }

  public FrequentItems() {
    this(DEFAULT_M);
  }

  public int capacity() {
    return m;
  }

  /** Items counted. */
  public long count() {
    return n;
  }

  /** The most any estimate is below the true count. */
  public long error() {
    return error;
  }

  /** Counts one occurrence of {@code item}. */
  public void update(String item) {
    updateAndHash(item);
  }

  /**
   * Counts one occurrence of {@code item} and returns {@link Hashing#hash(CharSequence)} of it,
   * kept with the counter so that a frequent item is hashed once, not at every occurrence.
   */
  public long updateAndHash(String item) {
    String key = key(item);
    n++;
    long[] c = counters.get(key);
    boolean cut = key != item;
    if (c != null) {
      c[0]++;
      return cut ? Hashing.hash(item) : c[1];
    }
    long hash = Hashing.hash(key);
    if (counters.size() < m) {
      counters.put(key, new long[] {1, hash});
      return cut ? Hashing.hash(item) : hash;
    }
    // Full: the new item and every counter lose one.
    error++;
    counters.values().removeIf(v -> --v[0] == 0);
    return cut ? Hashing.hash(item) : hash;
  }

  /** The counter's key for {@code item}: the item, or its first characters if it is too long. */
  private static String key(String item) {
    if (item.length() <= MAX_ITEM_CHARS) {
      return item;
    }
    // Never split a surrogate pair: the cut item must still encode as UTF-8.
    int cut = Character.isHighSurrogate(item.charAt(MAX_ITEM_CHARS - 1))
        ? MAX_ITEM_CHARS - 1 : MAX_ITEM_CHARS;
    return item.substring(0, cut);
  }

  /**
   * Counts {@code count} occurrences of {@code item}: the same summary as {@code count} calls of
   * {@link #update(String)} in a row, in one step unless the summary is full and lacks the item.
   *
   * @throws IllegalArgumentException if {@code count} is negative
   */
  public void update(String item, long count) {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative");
    }
    if (count == 0) {
      return;
    }
    String key = key(item);
    long[] c = counters.get(key);
    if (c != null) {
      c[0] += count;
      n += count;
    } else if (counters.size() < m) {
      counters.put(key, new long[] {count, Hashing.hash(key)});
      n += count;
    } else {
      for (long i = 0; i < count; i++) {
        updateAndHash(item);
      }
    }
  }

  /** The estimated count of {@code item} (a lower bound). */
  public long estimate(String item) {
    long[] c = counters.get(item);
    return c == null ? 0 : c[0];
  }

  /** Counted items with their estimates, largest first, ties by item. */
  public List<Map.Entry<String, Long>> top() {
    List<Map.Entry<String, Long>> out = new ArrayList<>();
    counters.forEach((k, v) -> out.add(Map.entry(k, v[0])));
    out.sort(
        Map.Entry.<String, Long>comparingByValue(Collections.reverseOrder())
            .thenComparing(Map.Entry.comparingByKey()));
    return out;
  }

  /** Adds {@code other}'s counts to this summary; {@code other} is unchanged. */
  public void merge(FrequentItems other) {
    if (other.m != m) {
      throw new IllegalArgumentException("cannot merge frequent items m=" + other.m + " into " + m);
    }
    other.counters.forEach(
        (k, v) -> counters.computeIfAbsent(k, x -> new long[] {0, v[1]})[0] += v[0]);
    n += other.n;
    error += other.error;
    if (counters.size() > m) {
      long[] values = counters.values().stream().mapToLong(v -> v[0]).toArray();
      Arrays.sort(values);
      long cut = values[values.length - 1 - m]; // the (m+1)-th largest
      error += cut;
      counters.values().removeIf(v -> (v[0] -= cut) <= 0);
    }
  }

  public FrequentItems copy() {
    FrequentItems c = new FrequentItems(m);
    counters.forEach((k, v) -> c.counters.put(k, new long[] {v[0], v[1]}));
    c.n = n;
    c.error = error;
    return c;
  }

  /** Canonical bytes: magic, m, n, error, the item count, then items sorted by their UTF-8. */
  public byte[] toBytes() {
    TreeMap<String, Long> sorted = new TreeMap<>();
    counters.forEach((k, v) -> sorted.put(k, v[0]));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer head = ByteBuffer.allocate(4 + 4 + 8 + 8 + 4);
    head.putInt(MAGIC).putInt(m).putLong(n).putLong(error).putInt(sorted.size());
    out.writeBytes(head.array());
    List<byte[]> keys = new ArrayList<>();
    sorted.keySet().forEach(k -> keys.add(k.getBytes(StandardCharsets.UTF_8)));
    keys.sort(Arrays::compareUnsigned);
    for (byte[] key : keys) {
      ByteBuffer b = ByteBuffer.allocate(2 + key.length + 8);
      b.putShort((short) key.length).put(key)
          .putLong(sorted.get(new String(key, StandardCharsets.UTF_8)));
      out.writeBytes(b.array());
    }
    return out.toByteArray();
  }

  /**
   * Reads a summary written by {@link #toBytes()}: items strictly ascending, valid UTF-8, each
   * within the length limit, counts positive and adding up to at most {@code n}.
   *
   * @throws BadInputException if the bytes are not a valid summary
   */
  public static FrequentItems fromBytes(byte[] bytes) throws BadInputException {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      if (b.getInt() != MAGIC) {
        throw new BadInputException("not a frequent-items summary");
      }
      int m = b.getInt();
      if (m < 1 || m > MAX_M) {
        throw new BadInputException("frequent-items capacity " + m + " out of range");
      }
      FrequentItems f = new FrequentItems(m);
      f.n = b.getLong();
      f.error = b.getLong();
      int items = b.getInt();
      if (f.n < 0 || f.error < 0 || f.error > f.n || items < 0 || items > m) {
        throw new BadInputException("frequent-items header out of range");
      }
      var decoder = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
      byte[] previous = null;
      long sum = 0;
      for (int i = 0; i < items; i++) {
        int len = Short.toUnsignedInt(b.getShort());
        if (len > b.remaining()) {
          throw new BadInputException("frequent-items summary is truncated");
        }
        byte[] key = new byte[len];
        b.get(key);
        if (previous != null && Arrays.compareUnsigned(previous, key) >= 0) {
          throw new BadInputException("frequent items are not in ascending order");
        }
        previous = key;
        String s;
        try {
          s = decoder.decode(ByteBuffer.wrap(key)).toString();
        } catch (CharacterCodingException e) {
          throw new BadInputException("frequent item is not UTF-8", e);
        }
        if (s.length() > MAX_ITEM_CHARS) {
          throw new BadInputException("frequent item longer than " + MAX_ITEM_CHARS);
        }
        long count = b.getLong();
        if (count <= 0 || count > f.n - sum) {
          throw new BadInputException("frequent-item count out of range");
        }
        sum += count;
        f.counters.put(s, new long[] {count, Hashing.hash(s)});
      }
      if (b.hasRemaining()) {
        throw new BadInputException("frequent-items summary has trailing bytes");
      }
      return f;
    } catch (BufferUnderflowException e) {
      throw new BadInputException("frequent-items summary is truncated", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FrequentItems f && Arrays.equals(f.toBytes(), toBytes());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(toBytes());
  }
}
