package dev.bastion.data;

import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * The number spellings a data cell or a request field may use: plain decimal digits with an
 * optional sign, fraction and exponent. Java's own parsers accept more ({@code 1d}, {@code 0x1p-1},
 * {@code NaN}, surrounding spaces), which data must not smuggle past a schema.
 */
public final class Numbers {
  private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]{1,19}");
  private static final Pattern DECIMAL =
      Pattern.compile(
          "[+-]?(?:[0-9]{1,400}(?:\\.[0-9]{0,400})?|\\.[0-9]{1,400})(?:[eE][+-]?[0-9]{1,4})?");
  private static final Pattern NON_FINITE = Pattern.compile("[+-]?(?:NaN|Infinity)");

  private Numbers() {}

  /** The value of an integer cell, or empty if it is not one (or beyond 64 bits). */
  public static OptionalLong parseInteger(String s) {
    if (!INTEGER.matcher(s).matches()) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(s));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** Whether {@code s} spells a number that is not finite: NaN, an infinity, an overflow. */
  public static boolean isNonFinite(String s) {
    return NON_FINITE.matcher(s).matches()
        || (DECIMAL.matcher(s).matches() && !Double.isFinite(Double.parseDouble(s)));
  }

  /** The value of a finite decimal cell, or empty if it is not one. */
  public static OptionalDouble parseDecimal(String s) {
    if (!DECIMAL.matcher(s).matches()) {
      return OptionalDouble.empty();
    }
    double d = Double.parseDouble(s);
    return Double.isFinite(d) ? OptionalDouble.of(d) : OptionalDouble.empty();
  }
}
