package dev.bastion.data.profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.data.Numbers;
import dev.bastion.data.sketch.FrequentItems;
import dev.bastion.data.sketch.Hashing;
import dev.bastion.data.sketch.HyperLogLog;
import dev.bastion.data.sketch.KllSketch;
import java.util.Base64;
import java.util.Map;

/**
 * One column's profile: cell counts by kind (empty, integer, other decimal, text), distinct values
 * (HyperLogLog over all non-empty cells, numbers by value), a KLL quantile sketch of the numeric
 * cells, and Misra–Gries frequent items of the text cells. Memory is bounded by the sketch
 * parameters, whatever the row count. Not thread-safe; {@link Profile} hands out copies.
 */
public final class ColumnProfile {
  /** Quantiles written in the readable part of the JSON. */
  static final double[] QUANTILES = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99};

  /** Frequent items written in the readable part of the JSON. */
  static final int TOP = 10;

  private final String name;
  private long count;
  private long nulls;
  private long integers;
  private long decimals;
  private long texts;
  private final HyperLogLog distinct;
  private final KllSketch numbers;
  private final FrequentItems items;
  /** Text values counted but not yet in {@link #items}; null once they are. */
  private TextValues text;
  /** The fed numbers' distinct count, written by the feed's thread; null when not fed. */
  private HyperLogLog numberDistinct;
  /**
   * Whether the cell last {@link #add}ed came out as one of the instances given to {@link
   * #canonical}: a schema's own category, so its check need not look it up again.
   */
  boolean lastCanonical;

  ColumnProfile(String name) {
    this(name, new HyperLogLog(), new KllSketch(), new FrequentItems());
    text = new TextValues(items.capacity(), distinct);
  }

  private ColumnProfile(String name, HyperLogLog distinct, KllSketch numbers, FrequentItems items) {
    this.name = name;
    this.distinct = distinct;
    this.numbers = numbers;
    this.items = items;
  }

  /**
   * Adds one cell, classified by {@link Numbers#classify}, with the {@link Hashing} hash of its
   * value if it is a number (a text cell is hashed here).
   *
   * @return the cell, or for a text cell seen before an equal instance kept for it (the one given
   *     to {@link #canonical} if any), so that a caller can compare it by identity
   */
  String add(String cell, int kind, double value, long hash) {
    count++;
    lastCanonical = false;
    if (cell.isEmpty()) {
      nulls++;
      return cell;
    }
    switch (kind) {
      case Numbers.INTEGER_KIND, Numbers.DECIMAL_KIND -> {
        if (kind == Numbers.INTEGER_KIND) {
          integers++;
        } else {
          decimals++;
        }
        if (numberDistinct == null) {
          numbers.update(value);
          distinct.addHash(hash);
        }
        return cell;
      }
      default -> {
        texts++;
        if (text != null) {
          int slot = text.slot(cell);
          if (slot >= 0) {
            // The distinct-count sketch took this value's hash when it was first seen; adding it
            // again changes nothing, so only the count moves.
            text.counts[slot]++;
            lastCanonical = text.canonical[slot];
            return text.keys[slot];
          }
          flushText();
        }
        distinct.addHash(items.updateAndHash(cell));
        return cell;
      }
    }
  }

  /**
   * From now on {@link #add} leaves a number's sketches to the caller (its {@code hash} is not
   * used), which updates them with {@link #updateNumber} in the same order, on another thread
   * (see {@link NumberFeed}); then {@link #flush} on this one.
   */
  void feedNumbers() {
    if (numberDistinct == null) {
      numberDistinct = new HyperLogLog(distinct.precision());
    }
  }

  /**
   * The other half of {@link #add} for a fed number: its quantile sketch, and its distinct count
   * in a sketch of its own (the registers' maximum with the text values' sketch, taken by {@link
   * #flush}, is the sketch of both).
   */
  void updateNumber(double value) {
    numbers.update(value);
    numberDistinct.addHash(Hashing.hash(value));
  }

  /**
   * Text cells equal to a key of {@code instances} are kept as its value (one instance per value)
   * from now on.
   */
  void canonical(Map<String, String> instances) {
    if (text != null) {
      text.instances = instances;
    }
  }

  /**
   * Moves the counts held in {@link #text} to {@link #items} and stops using it, and the fed
   * numbers' distinct count into {@link #distinct}: the sketches are then exactly what adding
   * each cell to them would have made. After the feed has finished, if numbers were fed.
   */
  void flush() {
    if (numberDistinct != null) {
      distinct.merge(numberDistinct);
      numberDistinct = null;
    }
    flushText();
  }

  /** The text half of {@link #flush}, which may come at any time on the reading thread. */
  private void flushText() {
    TextValues t = text;
    if (t == null) {
      return;
    }
    text = null;
    for (int i = 0; i < t.keys.length; i++) {
      if (t.keys[i] != null) {
        items.update(t.keys[i], t.counts[i]);
      }
    }
  }

  /**
   * A column's distinct text values with their counts (each added to the distinct-count sketch
   * when first seen), while there are at most the frequent-items
   * capacity of them, each at most {@link FrequentItems#MAX_ITEM_CHARS} long. Misra–Gries keeps
   * every value of such a stream with its exact count whatever the order, so adding these counts
   * to the summary at the end gives the summary that adding each cell would have given. A text
   * cell costs one lookup here (count and one instance per value) instead of
   * one in the summary's map and one in a schema's category set.
   *
   * <p>The table is first indexed by a hash of a few characters (the length, the first, middle
   * and last), which is cheaper than {@link String#hashCode} of every new cell; should that hash
   * put many values in one run (more than {@value #LONGEST_RUN} slots searched), the table is
   * rebuilt on {@link String#hashCode}, so the cost per cell stays bounded whatever the values.
   */
  private static final class TextValues {
    private static final int LONGEST_RUN = 8;

    private final int max;
    String[] keys = new String[16];
    long[] counts = new long[16];
    /** Whether a slot's key is one of {@link #instances}' values. */
    boolean[] canonical = new boolean[16];
    private int size;
    private boolean fullHash;
    Map<String, String> instances = Map.of();

    private final HyperLogLog distinct;

    TextValues(int max, HyperLogLog distinct) {
      this.max = max;
      this.distinct = distinct;
    }

    private int hash(String v) {
      if (fullHash) {
        return v.hashCode() * 0x9e3779b9;
      }
      int n = v.length();
      return ((((n * 31 + v.charAt(0)) * 31 + v.charAt(n >> 1)) * 31) + v.charAt(n - 1))
          * 0x9e3779b9;
    }

    /** The slot of {@code v}, added if new; -1 if it is new and there is no room, or too long. */
    int slot(String v) {
      int mask = keys.length - 1;
      int i = (hash(v) >>> 16) & mask;
      int run = 0;
      for (String k; (k = keys[i]) != null; i = (i + 1) & mask) {
        if (k.equals(v)) {
          return i;
        }
        if (++run > LONGEST_RUN && !fullHash) {
          fullHash = true;
          rehash(keys.length);
          return slot(v);
        }
      }
      if (size == max || v.length() > FrequentItems.MAX_ITEM_CHARS) {
        return -1;
      }
      if (2 * (size + 1) > keys.length) {
        rehash(keys.length * 2);
        return slot(v);
      }
      String instance = instances.get(v);
      String key = instance != null ? instance : v;
      keys[i] = key;
      canonical[i] = instance != null;
      size++;
      distinct.addHash(Hashing.hash(key));
      return i;
    }

    private void rehash(int n) {
      String[] oldKeys = keys;
      long[] oldCounts = counts;
      boolean[] oldCanonical = canonical;
      keys = new String[n];
      counts = new long[n];
      canonical = new boolean[n];
      for (int j = 0; j < oldKeys.length; j++) {
        if (oldKeys[j] != null) {
          int i = (hash(oldKeys[j]) >>> 16) & (n - 1);
          while (keys[i] != null) {
            i = (i + 1) & (n - 1);
          }
          keys[i] = oldKeys[j];
          counts[i] = oldCounts[j];
          canonical[i] = oldCanonical[j];
        }
      }
    }
  }

  void merge(ColumnProfile o) {
    flush();
    o.flush();
    count += o.count;
    nulls += o.nulls;
    integers += o.integers;
    decimals += o.decimals;
    texts += o.texts;
    distinct.merge(o.distinct);
    numbers.merge(o.numbers);
    items.merge(o.items);
  }

  ColumnProfile copy() {
    flush();
    ColumnProfile c = new ColumnProfile(name, distinct.copy(), numbers.copy(), items.copy());
    c.count = count;
    c.nulls = nulls;
    c.integers = integers;
    c.decimals = decimals;
    c.texts = texts;
    return c;
  }

  public String name() {
    return name;
  }

  /** Cells, empty ones included: the profile's row count. */
  public long count() {
    return count;
  }

  public long nulls() {
    return nulls;
  }

  public long integers() {
    return integers;
  }

  /** Numeric cells that are not integers. */
  public long decimals() {
    return decimals;
  }

  public long texts() {
    return texts;
  }

  /** Estimated distinct non-empty values. */
  public double distinct() {
    flush();
    return distinct.estimate();
  }

  /** A copy of the numbers' quantile sketch. */
  public KllSketch numbers() {
    return numbers.copy();
  }

  /** A copy of the text values' frequent items. */
  public FrequentItems items() {
    flush();
    return items.copy();
  }

  /** Whether the column holds numbers and no text. */
  public boolean numeric() {
    return integers + decimals > 0 && texts == 0;
  }

  /**
   * A readable number: 12 significant digits between 1e-20 and 1e20 in magnitude, else the
   * value's Java spelling as a string, so that no document holds a number hundreds of digits long
   * (canonical JSON writes decimals in plain notation, and readers limit number length).
   */
  static JsonNode number(double x) {
    var f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
    if (x == 0) {
      return f.numberNode(0);
    }
    double a = Math.abs(x);
    if (Double.isFinite(x) && a >= 1e-20 && a < 1e20) {
      return f.numberNode(new java.math.BigDecimal(x).round(new java.math.MathContext(12)));
    }
    return f.textNode(Double.toString(x));
  }

  JsonNode toJson() {
    flush();
    ObjectNode o = Json.object();
    o.put("name", name);
    o.put("count", count);
    o.put("nulls", nulls);
    o.put("integers", integers);
    o.put("decimals", decimals);
    o.put("texts", texts);
    o.put("distinct", Math.round(distinct.estimate()));
    if (!numbers.isEmpty()) {
      o.set("min", number(numbers.min()));
      o.set("max", number(numbers.max()));
      ObjectNode q = o.putObject("quantiles");
      var sorted = numbers.items();
      for (double p : QUANTILES) {
        q.set(String.format(java.util.Locale.ROOT, "p%02d", Math.round(p * 100)),
            number(sorted.quantile(p)));
      }
    }
    if (texts > 0) {
      ArrayNode top = o.putArray("top");
      int i = 0;
      for (Map.Entry<String, Long> e : items.top()) {
        if (i++ == TOP) {
          break;
        }
        top.addObject().put("value", e.getKey()).put("count", e.getValue());
      }
      o.put("top_error", items.error());
    }
    ObjectNode s = o.putObject("sketches");
    Base64.Encoder b64 = Base64.getEncoder();
    s.put("hll", b64.encodeToString(distinct.toBytes()));
    s.put("kll", b64.encodeToString(numbers.toBytes()));
    s.put("items", b64.encodeToString(items.toBytes()));
    return o;
  }

  /**
   * Reads a column from its JSON: the sketches are authoritative, the counts are checked against
   * them, and {@link Profile#fromJson} checks that the readable fields are the ones they give.
   */
  static ColumnProfile fromJson(JsonNode o, String where) throws BadInputException {
    if (!o.isObject()) {
      throw new BadInputException(where + ": a column must be an object");
    }
    String name = Json.requireText(o, "name", where);
    String at = where + " ('" + name + "')";
    JsonNode s = o.path("sketches");
    ColumnProfile c;
    try {
      c = new ColumnProfile(
          name,
          HyperLogLog.fromBytes(base64(s, "hll", at)),
          KllSketch.fromBytes(base64(s, "kll", at)),
          FrequentItems.fromBytes(base64(s, "items", at)));
    } catch (BadInputException e) {
      throw new BadInputException(at + ": " + e.getMessage(), e);
    }
    c.count = count(o, "count", at);
    c.nulls = count(o, "nulls", at);
    c.integers = count(o, "integers", at);
    c.decimals = count(o, "decimals", at);
    c.texts = count(o, "texts", at);
    long sum = c.nulls + c.integers + c.decimals + c.texts;
    if (sum != c.count || sum < 0) {
      throw new BadInputException(at + ": the cell counts do not add up to 'count'");
    }
    if (c.numbers.count() != c.integers + c.decimals || c.items.count() != c.texts) {
      throw new BadInputException(at + ": the sketches do not match the cell counts");
    }
    if (c.numbers.k() != KllSketch.DEFAULT_K || c.distinct.precision() != HyperLogLog.DEFAULT_P
        || c.items.capacity() != FrequentItems.DEFAULT_M) {
      throw new BadInputException(at + ": sketch parameters differ from this version's");
    }
    return c;
  }

  private static byte[] base64(JsonNode s, String field, String where) throws BadInputException {
    JsonNode v = s.get(field);
    if (v == null || !v.isTextual()) {
      throw new BadInputException(where + ": sketches." + field + " must be a base64 string");
    }
    try {
      return Base64.getDecoder().decode(v.asText());
    } catch (IllegalArgumentException e) {
      throw new BadInputException(where + ": sketches." + field + " is not base64", e);
    }
  }

  private static long count(JsonNode o, String field, String where) throws BadInputException {
    JsonNode v = o.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
      throw new BadInputException(where + ": '" + field + "' must be a count");
    }
    return v.asLong();
  }
}
