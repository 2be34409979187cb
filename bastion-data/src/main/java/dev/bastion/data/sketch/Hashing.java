package dev.bastion.data.sketch;

/** 64-bit hashes of cell values for the distinct-count sketch. */
public final class Hashing {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private Hashing() {}

  /**
   * A 64-bit hash of the characters of {@code s}: FNV-1a over the UTF-16 units, then a 64-bit
   * avalanche finaliser so that every output bit depends on every input bit.
   */
  public static long hash(CharSequence s) {
    long h = FNV_OFFSET;
    for (int i = 0, n = s.length(); i < n; i++) {
      h = (h ^ s.charAt(i)) * FNV_PRIME;
    }
    return mix(h ^ s.length());
  }

  /** A 64-bit hash of a number; {@code -0.0} hashes as {@code 0.0}. */
  public static long hash(double v) {
    return mix(Double.doubleToLongBits(v == 0.0 ? 0.0 : v) ^ 0x5851f42d4c957f2dL);
  }

  /** The avalanche finaliser (xor-shift-multiply rounds): a bijection on 64-bit values. */
  static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }
}
