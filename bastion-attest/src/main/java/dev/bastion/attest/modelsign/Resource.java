package dev.bastion.attest.modelsign;

import dev.bastion.core.Digest;
import java.util.Comparator;
import java.util.Objects;

/**
 * One entry of a model manifest: a file, or for the shards method a byte range of a file, with its
 * SHA-256 digest.
 *
 * @param name the model-relative POSIX path, or {@code path:start:end} for a byte range; a
 *     single-file model's file is named {@code .}
 * @param digest the SHA-256 of the file's (or range's) bytes
 */
public record Resource(String name, Digest digest) {
  public Resource {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(digest, "digest");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("a resource name is never empty");
    }
  }

  /**
   * The canonical order of the files method: names compared by Unicode code point, as the OMS
   * specification requires (not by UTF-16 unit, which differs above U+FFFF).
   */
  static final Comparator<Resource> BY_NAME = (a, b) -> compareCodePoints(a.name, b.name);

  /**
   * The canonical order of the shards method: by file path (code points), then by numeric start
   * offset, so that {@code f:8:16} comes before {@code f:16:24} as in the reference implementation.
   */
  static final Comparator<Resource> BY_SHARD =
      (a, b) -> {
        ShardName x = ShardName.parseOrNull(a.name);
        ShardName y = ShardName.parseOrNull(b.name);
        if (x == null || y == null) {
          return compareCodePoints(a.name, b.name);
        }
        int c = compareCodePoints(x.path(), y.path());
        return c != 0 ? c : Long.compare(x.start(), y.start());
      };

  static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }

  /**
   * A shard resource name {@code path:start:end}. The offsets are the last two colon-separated
   * parts, so a path may itself contain colons.
   */
  record ShardName(String path, long start, long end) {
    ShardName {
      if (start < 0 || end < start) {
        throw new IllegalArgumentException("bad byte range " + start + ":" + end);
      }
    }

    String wire() {
      return path + ":" + start + ":" + end;
    }

    static ShardName parseOrNull(String name) {
      int second = name.lastIndexOf(':');
      int first = second <= 0 ? -1 : name.lastIndexOf(':', second - 1);
      if (first <= 0) {
        return null;
      }
      String s = name.substring(first + 1, second);
      String e = name.substring(second + 1);
      if (!isDecimal(s) || !isDecimal(e)) {
        return null;
      }
      try {
        long start = Long.parseLong(s);
        long end = Long.parseLong(e);
        return end < start ? null : new ShardName(name.substring(0, first), start, end);
      } catch (NumberFormatException ex) {
        return null;
      }
    }

    private static boolean isDecimal(String s) {
      return !s.isEmpty() && s.length() <= 19 && s.chars().allMatch(c -> c >= '0' && c <= '9');
    }
  }
}
