package dev.bastion.ledger;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Map;

/**
 * The canonical JSON of an {@link Event} written byte by byte into one array, for the usual event
 * whose strings are all printable ASCII with no quote or backslash: no intermediate {@code String}
 * and no formatter for the time. Anything else is left to {@link Event#canonical()}'s other paths.
 */
final class AsciiJson {
  /** The first seconds of the years 0 and 10000: {@link #time} writes the years between. */
  private static final long YEAR_0 = LocalDate.of(0, 1, 1).toEpochDay() * 86_400L;

  private static final long YEAR_10000 = LocalDate.of(10_000, 1, 1).toEpochDay() * 86_400L;

  private byte[] b;
  private int p;

  private AsciiJson(int capacity) {
    b = new byte[capacity];
  }

  /** The event's canonical JSON, or null if a string needs more than plain ASCII. */
  static byte[] of(Event e) {
    Map<String, String> details = e.details();
    int n = 160 + e.action().length() + e.actor().length() + e.object().length()
        + e.outcome().length() + e.runId().length();
    for (Map.Entry<String, String> d : details.entrySet()) {
      n += d.getKey().length() + d.getValue().length() + 6;
    }
    AsciiJson w = new AsciiJson(n);
    // Keys in sorted order, as Json.canonical writes them.
    if (!(w.raw("{\"action\":\"") && w.str(e.action())
        && w.raw("\",\"actor\":\"") && w.str(e.actor())
        && w.raw("\",\"details\":{"))) {
      return null;
    }
    boolean first = true;
    for (Map.Entry<String, String> d : details.entrySet()) { // sorted: a TreeMap
      if (!first && !w.raw(",")) {
        return null;
      }
      first = false;
      if (!(w.raw("\"") && w.str(d.getKey()) && w.raw("\":\"") && w.str(d.getValue())
          && w.raw("\""))) {
        return null;
      }
    }
    boolean ok = w.raw("},\"kind\":\"") && w.str(e.kind().wireName())
        && w.raw("\",\"object\":\"") && w.str(e.object())
        && w.raw("\",\"outcome\":\"") && w.str(e.outcome())
        && w.raw("\",\"run\":\"") && w.str(e.runId())
        && w.raw("\",\"time\":\"") && w.time(e.time())
        && w.raw("\"}");
    return ok ? Arrays.copyOf(w.b, w.p) : null;
  }

  /** Appends a literal of this class, as it is (ASCII); true. */
  private boolean raw(String s) {
    int len = s.length();
    if (b.length - p < len) {
      b = Arrays.copyOf(b, 2 * (b.length + len));
    }
    for (int i = 0; i < len; i++) {
      b[p++] = (byte) s.charAt(i);
    }
    return true;
  }

  /** Appends {@code s} if every character is printable ASCII other than a quote or backslash. */
  private boolean str(String s) {
    int len = s.length();
    if (b.length - p < len) {
      b = Arrays.copyOf(b, 2 * (b.length + len));
    }
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
        return false;
      }
      b[p++] = (byte) c;
    }
    return true;
  }

  /**
   * Appends {@code t} as {@link Instant#toString()} writes it ({@code yyyy-MM-ddTHH:mm:ss}, then
   * 0, 3, 6 or 9 digits of fraction, then {@code Z}); years outside 0 to 9999 through it.
   */
  private boolean time(Instant t) {
    long seconds = t.getEpochSecond();
    if (seconds < YEAR_0 || seconds >= YEAR_10000) {
      return str(t.toString());
    }
    LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(seconds, 86_400L));
    if (b.length - p < 32) {
      b = Arrays.copyOf(b, b.length + 64);
    }
    int second = (int) Math.floorMod(seconds, 86_400L);
    digits(date.getYear(), 4);
    b[p++] = '-';
    digits(date.getMonthValue(), 2);
    b[p++] = '-';
    digits(date.getDayOfMonth(), 2);
    b[p++] = 'T';
    digits(second / 3600, 2);
    b[p++] = ':';
    digits(second / 60 % 60, 2);
    b[p++] = ':';
    digits(second % 60, 2);
    int nano = t.getNano();
    if (nano != 0) {
      b[p++] = '.';
      if (nano % 1_000_000 == 0) {
        digits(nano / 1_000_000, 3);
      } else if (nano % 1000 == 0) {
        digits(nano / 1000, 6);
      } else {
        digits(nano, 9);
      }
    }
    b[p++] = 'Z';
    return true;
  }

  /** Appends {@code v} (at least 0) in exactly {@code width} decimal digits, zero-padded. */
  private void digits(int v, int width) {
    for (int i = p + width - 1; i >= p; i--) {
      b[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
    p += width;
  }
}
