package dev.bastion.crypto;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/** Shared helpers for the crypto tests: file snapshots, byte flips, seeded positions. */
final class CryptoFixtures {
  private CryptoFixtures() {}

  /** Every regular file under {@code dir} (relative path to hex content), except the lock file. */
  static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        String rel = dir.relativize(p).toString();
        if (!rel.equals(".lock")) {
          out.put(rel, HexFormat.of().formatHex(Files.readAllBytes(p)));
        }
      }
    }
    return out;
  }

  /** A copy of {@code data} with bit pattern {@code mask} XORed into byte {@code pos}. */
  static byte[] flip(byte[] data, int pos, int mask) {
    byte[] out = data.clone();
    out[pos] ^= (byte) mask;
    return out;
  }

  static byte[] flip(byte[] data, int pos) {
    return flip(data, pos, 0x01);
  }

  /** {@code n} distinct seeded positions in {@code [0, bound)}, sorted. */
  static int[] positions(long seed, int n, int bound) {
    Random r = new Random(seed);
    return IntStream.generate(() -> r.nextInt(bound)).distinct().limit(Math.min(n, bound)).sorted()
        .toArray();
  }

  /** Random bytes from a seeded generator. */
  static byte[] bytes(Random r, int length) {
    byte[] b = new byte[length];
    r.nextBytes(b);
    return b;
  }

  /** True when {@code needle} occurs in {@code haystack}. */
  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
